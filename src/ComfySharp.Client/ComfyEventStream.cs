using System.Text;

namespace ComfySharp.Client;

/// <summary>
/// An open <c>GET /api/events</c> Server-Sent Events stream (from <see cref="ComfyClient.OpenEventStreamAsync"/>).
/// Each <c>data:</c> block carries a <c>/ws</c> envelope and is decoded with <see cref="ComfyEvent.ParseText"/>;
/// comments (heartbeats) are skipped.
/// </summary>
public sealed class ComfyEventStream : IAsyncDisposable, IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    internal ComfyEventStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>Reads the next message; null when the server ended the stream.</summary>
    public async Task<ComfyEvent?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var data = new StringBuilder();
        while (true)
        {
            string? line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return data.Length > 0 ? ComfyEvent.ParseText(data.ToString()) : null;
            }
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return ComfyEvent.ParseText(data.ToString());
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string field = colon < 0 ? line : line[..colon];
            if (field != "data")
            {
                continue; // event:, id:, retry: — the envelope names its own type.
            }
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            if (data.Length > 0)
            {
                data.Append('\n');
            }
            data.Append(value);
        }
    }

    /// <summary>Yields messages until the stream ends or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ComfyEvent> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            yield return message;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
