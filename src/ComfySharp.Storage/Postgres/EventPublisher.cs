using System.Threading.Channels;
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

    private const int MaxBatch = 128;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Action<string, Exception>? _logFailure;
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

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
        _pending.Writer.TryWrite(envelope.Serialize());
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
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out string? payload))
            {
                batch.Add(payload);
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
