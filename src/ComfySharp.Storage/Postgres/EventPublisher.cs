using System.Threading.Channels;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// Sends execution messages to the API nodes with <c>NOTIFY</c>, in order, without making the executor
/// wait for the database: messages queue here and a background loop sends what has gathered in one round
/// trip. A payload of <see cref="MaxPayloadBytes"/> or more (PostgreSQL refuses 8000) is stored in
/// <c>events</c> and only its id (<c>#id</c>) is notified.
/// </summary>
public sealed class EventPublisher : IAsyncDisposable
{
    /// <summary>The largest payload notified directly.</summary>
    public const int MaxPayloadBytes = 7900;

    /// <summary>Previews waiting to be sent before a new one is dropped (previews are the first thing to give way).</summary>
    public const int MaxPendingPreviews = 4;

    private const int MaxBatch = 128;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Action<string, Exception>? _logFailure;
    private readonly Channel<Outgoing> _pending = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private readonly string _relayPrefix = Guid.NewGuid().ToString("N")[..8];
    private long _relayCounter;
    private int _pendingPreviews;

    /// <summary>Starts the sending loop.</summary>
    public EventPublisher(NpgsqlDataSource dataSource, Action<string, Exception>? logFailure = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _logFailure = logFailure;
        _loop = Task.Run(SendLoopAsync);
    }

    /// <summary>Queues one message; never blocks, never throws.</summary>
    public void Publish(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        _pending.Writer.TryWrite(new Outgoing([envelope.Serialize()], Preview: false));
    }

    /// <summary>Previews dropped because <see cref="MaxPendingPreviews"/> were still waiting (or the image was too large).</summary>
    public long DroppedPreviews => Interlocked.Read(ref _droppedPreviews);

    private long _droppedPreviews;

    /// <summary>
    /// Queues a preview image (<see cref="PreviewRelay"/>); dropped, never blocking, when
    /// <see cref="MaxPendingPreviews"/> previews are still waiting or the image is too large.
    /// </summary>
    public bool PublishPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
    {
        if (Interlocked.Increment(ref _pendingPreviews) > MaxPendingPreviews)
        {
            Interlocked.Decrement(ref _pendingPreviews);
            Interlocked.Increment(ref _droppedPreviews);
            return false;
        }
        IReadOnlyList<string> payloads = PreviewRelay.Encode(image, origin, clientId, $"{_relayPrefix}{Interlocked.Increment(ref _relayCounter)}");
        if (payloads.Count == 0 || !_pending.Writer.TryWrite(new Outgoing(payloads, Preview: true)))
        {
            Interlocked.Decrement(ref _pendingPreviews);
            Interlocked.Increment(ref _droppedPreviews);
            return false;
        }
        return true;
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        var batch = new List<string>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            // A preview's parts stay together in one batch (one transaction: delivered back to back).
            while (batch.Count < MaxBatch && _pending.Reader.TryPeek(out Outgoing? next) && (batch.Count == 0 || batch.Count + next.Payloads.Count <= MaxBatch)
                && _pending.Reader.TryRead(out Outgoing? item))
            {
                batch.AddRange(item.Payloads);
                if (item.Preview)
                {
                    Interlocked.Decrement(ref _pendingPreviews);
                }
            }
            try
            {
                await SendAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.IO.IOException or TimeoutException)
            {
                // Events are best effort (the history entry is the record): losing some while the database
                // is away must not stop the worker.
                _logFailure?.Invoke($"{batch.Count} execution message(s) could not be sent to the API nodes.", e);
            }
        }
    }

    private sealed record Outgoing(IReadOnlyList<string> Payloads, bool Preview);

    private async Task SendAsync(List<string> payloads)
    {
        await using NpgsqlBatch batch = _dataSource.CreateBatch();
        foreach (string payload in payloads)
        {
            bool spill = System.Text.Encoding.UTF8.GetByteCount(payload) >= MaxPayloadBytes;
            var command = new NpgsqlBatchCommand(spill
                ? $"WITH stored AS (INSERT INTO events(payload) VALUES ($1) RETURNING id) SELECT pg_notify('{EventEnvelope.Channel}', '#' || id)::text FROM stored;"
                : $"SELECT pg_notify('{EventEnvelope.Channel}', $1)::text;");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
