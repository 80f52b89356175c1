using System.Threading.Channels;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// Holds one connection that <c>LISTEN</c>s on the given channels and hands every notification, in the
/// order PostgreSQL delivered it (commit order), to <see cref="ReadAllAsync"/>. Reconnects when the
/// connection drops; <see cref="Reconnected"/> then tells the reader that notifications may have been missed.
/// </summary>
public sealed class NotificationListener : IAsyncDisposable
{
    /// <summary>The pseudo-channel a reader sees after a reconnection.</summary>
    public const string Reconnected = "";

    private readonly string _connectionString;
    private readonly string[] _channels;
    private readonly Channel<(string Channel, string Payload)> _received = Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    /// <summary>Starts listening.</summary>
    public NotificationListener(string connectionString, params string[] channels)
    {
        // Keepalive: a listener that only waits must notice a dead server or network.
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 5, Pooling = false }.ConnectionString;
        _channels = channels;
        _loop = Task.Run(() => ListenAsync(_stopping.Token));
    }

    /// <summary>Completes once the first <c>LISTEN</c> is in place.</summary>
    public Task Listening => _listening.Task;

    /// <summary>Every notification (and <see cref="Reconnected"/> markers), in delivery order.</summary>
    public IAsyncEnumerable<(string Channel, string Payload)> ReadAllAsync(CancellationToken cancellationToken) => _received.Reader.ReadAllAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _received.Writer.TryComplete();
        _stopping.Dispose();
    }

    private async Task ListenAsync(CancellationToken stopping)
    {
        bool first = true;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_connectionString);
                await connection.OpenAsync(stopping).ConfigureAwait(false);
                connection.Notification += (_, e) => _received.Writer.TryWrite((e.Channel, e.Payload));
                foreach (string channel in _channels)
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {channel};", connection);
                    await listen.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
                }
                if (!first)
                {
                    _received.Writer.TryWrite((Reconnected, ""));
                }
                first = false;
                _listening.TrySetResult();
                while (true)
                {
                    await connection.WaitAsync(stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
            {
                // The database went away: try again shortly; the reader catches up after the marker.
                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
            }
        }
    }
}
