using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.WebSockets;

/// <summary>One frame waiting in a socket's outbox.</summary>
/// <param name="Payload">Bytes to send.</param>
/// <param name="Type">Text or binary.</param>
/// <param name="IsQueueStatus">A queue-level <c>status</c> broadcast (without <c>sid</c>), which a newer one may supersede while unsent.</param>
internal sealed record OutgoingFrame(byte[] Payload, WebSocketMessageType Type, bool IsQueueStatus = false);

/// <summary>The newest queue <c>status</c> broadcast and its sequence number (0 and no frame before the first).</summary>
internal sealed record StatusSnapshot(OutgoingFrame? Frame, long Sequence);

/// <summary>
/// A socket with its outbox and the flags it announced. One sender task drains the outbox in FIFO
/// order, taking everything queued at each wake-up, so a burst costs one wake-up rather than one per frame.
/// </summary>
internal sealed class ClientConnection(WebSocket socket, ILogger logger, long statusSequence = 0) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private List<OutgoingFrame> _pending = [];
    private List<OutgoingFrame> _draining = [];
    // Sequence number of the newest queue status queued here (StatusSnapshot.Sequence).
    private long _statusSequence = statusSequence;
    private bool _senderAsleep;
    private bool _completed;
    private TaskCompletionSource? _hold;

    public WebSocket Socket { get; } = socket;

    public volatile JsonObject? Flags;

    /// <summary>
    /// Queues a frame, preceded by <paramref name="status"/> when that is a queue <c>status</c> newer
    /// than any queued here, so the socket never receives a message before the queue state it followed
    /// (that status replaces an unsent one at the end, as in <see cref="EnqueueStatus"/>).
    /// </summary>
    public void Enqueue(OutgoingFrame frame, StatusSnapshot? status = null)
    {
        bool wake;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }
            if (status is { Frame: { } statusFrame } && status.Sequence > _statusSequence)
            {
                AddStatus(statusFrame, status.Sequence, supersede: true);
            }
            _pending.Add(frame);
            wake = TakeWake();
        }
        if (wake)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// Queues a queue <c>status</c> unless a newer one is already queued. With <paramref name="supersede"/>,
    /// it replaces a queue <c>status</c> that is the last unsent frame: nothing sits between them, so
    /// the order relative to every other message is unchanged and the socket still receives the newest queue size.
    /// </summary>
    public void EnqueueStatus(StatusSnapshot status, bool supersede)
    {
        bool wake;
        lock (_lock)
        {
            if (_completed || status.Frame is null || status.Sequence <= _statusSequence)
            {
                return;
            }
            AddStatus(status.Frame, status.Sequence, supersede);
            wake = TakeWake();
        }
        if (wake)
        {
            _wake.Release();
        }
    }

    private void AddStatus(OutgoingFrame frame, long sequence, bool supersede)
    {
        if (supersede && _pending.Count > 0 && _pending[^1].IsQueueStatus)
        {
            _pending[^1] = frame;
        }
        else
        {
            _pending.Add(frame);
        }
        _statusSequence = sequence;
    }

    private bool TakeWake()
    {
        bool wake = _senderAsleep;
        _senderAsleep = false;
        return wake;
    }

    public void Complete()
    {
        bool wake;
        lock (_lock)
        {
            _completed = true;
            wake = _senderAsleep;
            _senderAsleep = false;
        }
        if (wake)
        {
            _wake.Release();
        }
    }

    /// <summary>Test seam: the sender stops taking frames from the outbox until the returned handle is disposed.</summary>
    internal IDisposable HoldSending()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _hold = hold;
        }
        return new Release(() =>
        {
            lock (_lock)
            {
                _hold = null;
            }
            hold.TrySetResult();
        });
    }

    /// <summary>Test seam: frames queued and not yet taken by the sender.</summary>
    internal int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        // Frames are sent without a token (see SendBatchAsync); cancellation aborts the socket
        // instead, which fails a send stalled on a client that stopped reading.
        using CancellationTokenRegistration abortOnCancel = cancellationToken.Register(static s => ((WebSocket)s!).Abort(), Socket);
        try
        {
            while (true)
            {
                List<OutgoingFrame> batch;
                Task? held = null;
                lock (_lock)
                {
                    if (_hold is { } hold)
                    {
                        held = hold.Task;
                        batch = _draining;
                    }
                    else if (_pending.Count == 0)
                    {
                        if (_completed)
                        {
                            return;
                        }
                        _senderAsleep = true;
                        batch = _draining;
                    }
                    else
                    {
                        batch = _pending;
                        _pending = _draining;
                        _draining = batch;
                    }
                }
                if (held is not null)
                {
                    await held.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (batch.Count == 0)
                {
                    await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                try
                {
                    await SendBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendBatchAsync(List<OutgoingFrame> batch, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (OutgoingFrame frame in batch)
            {
                if (Socket.State != WebSocketState.Open)
                {
                    return;
                }
                try
                {
                    // No token: ManagedWebSocket then takes its synchronous, allocation-free path
                    // (a cancellable send goes through an async fallback and a token registration per frame).
                    await Socket.SendAsync(frame.Payload.AsMemory(), frame.Type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // A vanished client must never affect execution.
                    logger.LogDebug("WebSocket send failed: {Message}", ex.Message);
                    return;
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Dispose()
    {
        _sendLock.Dispose();
        _wake.Dispose();
    }

    public async Task CloseAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
