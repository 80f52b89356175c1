using System.Text;

namespace ComfySharp.Server.Tests.Service;

/// <summary>Reads a Server-Sent Events stream in the background and keeps its text.</summary>
internal sealed class SseReader : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StringBuilder _text = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    private SseReader(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public static async Task<SseReader> OpenAsync(HttpClient client, string path)
    {
        HttpResponseMessage response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            throw new InvalidOperationException($"Not an event stream: {response.Content.Headers.ContentType}");
        }
        var reader = new SseReader(response);
        await reader.WaitForAsync(": connected");
        return reader;
    }

    /// <summary>Waits until one event's block contains every given text.</summary>
    public async Task WaitForAsync(params string[] parts)
    {
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Text.Split("\n\n").Any(block => parts.All(p => block.Contains(p, StringComparison.Ordinal))))
        {
            if (DateTime.UtcNow > limit || _reader.IsCompleted)
            {
                throw new TimeoutException($"No event with {string.Join(", ", parts)} in:\n{Text}");
            }
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _response.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            using Stream stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                lock (_text)
                {
                    _text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}
