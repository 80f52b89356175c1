using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Protocol;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.WebSockets;

/// <summary>
/// The registry of <c>/ws</c> sockets by <c>sid</c> and the server's <see cref="IExecutionMessageSink"/>:
/// routes each message by target (WEBSOCKET.md §4) into per-socket FIFO outboxes, each drained by
/// one sender task, so a socket sees messages in the order they were produced.
/// </summary>
/// <remarks>
/// Queue <c>status</c> broadcasts happen three times per prompt and go to every socket, so with many
/// sockets they would dominate the traffic and make the cost of a prompt grow with the number of
/// sockets. While two or more sockets are connected they are therefore rate-limited: a <c>status</c>
/// goes out at once when the previous broadcast is at least <see cref="DefaultStatusInterval"/> old
/// (10 ms, or 1 ms per socket beyond 10 sockets), and otherwise only the newest one goes out at the
/// end of that interval. Before any other message is queued for a socket, the socket first gets the
/// newest <c>status</c> it has not had, so relative to the messages it receives a socket never sees
/// an outdated queue size (the prompt owner still sees <c>status</c> before its
/// <c>execution_start</c> and its final <c>executing</c>). An unsent <c>status</c> at the end of an
/// outbox is replaced by a newer one. A lone socket receives every <c>status</c> at once, frame for
/// frame like the reference.
/// </remarks>
public sealed class ClientHub : IExecutionMessageSink, IDisposable
{
    /// <summary>Sockets needed before queue <c>status</c> broadcasts are rate-limited and superseded.</summary>
    internal const int StatusCoalescingMinimumSockets = 2;

    /// <summary>The shortest time between two queue <c>status</c> broadcasts while they are rate-limited.</summary>
    internal static readonly TimeSpan DefaultStatusInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// With many sockets the interval grows by this much per socket, so the broadcasts cost at most
    /// about 1,000 frames a second in all however many sockets listen (64 sockets: every 64 ms).
    /// </summary>
    internal static readonly TimeSpan StatusIntervalPerSocket = TimeSpan.FromMilliseconds(1);

    /// <summary>Test seam: <see cref="DefaultStatusInterval"/> unless a test stretches it.</summary>
    internal TimeSpan StatusInterval { get; set; } = DefaultStatusInterval;

    private readonly ILogger<ClientHub> logger;
    private readonly Lock _statusLock = new();
    private readonly Timer _statusTimer;
    // The newest queue status with its sequence number; sockets remember the number they have queued.
    private volatile StatusSnapshot _status = new(null, 0);
    private long _lastStatusBroadcast;
    private bool _statusTimerArmed;

    private readonly ConcurrentDictionary<string, ClientConnection> _clients = new(StringComparer.Ordinal);
    private readonly Lock _registryLock = new();
    // Broadcasts walk this copy-on-write array: no allocation and no dictionary locks per message.
    private ClientConnection[] _all = [];

    /// <summary>Creates the hub.</summary>
    public ClientHub(ILogger<ClientHub> logger)
    {
        this.logger = logger;
        _statusTimer = new Timer(static hub => ((ClientHub)hub!).BroadcastNewestStatus(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Connected sockets.</summary>
    public int Count => _clients.Count;

    /// <summary>True when a socket is registered under <paramref name="sid"/>.</summary>
    public bool IsConnected(string sid) => _clients.ContainsKey(sid);

    /// <inheritdoc />
    public void Send(string type, JsonObject data, MessageTarget target, string? clientId) =>
        Route(type, target, clientId, () => PythonJson.SerializeToUtf8(Messages.Envelope(type, data)));

    /// <inheritdoc />
    public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId) =>
        Route(type, target, clientId, () => envelope);

    /// <summary>Queues a text message for its recipients (WEBSOCKET.md §4); serialises only when someone receives it.</summary>
    private void Route(string type, MessageTarget target, string? clientId, Func<byte[]> text)
    {
        if (IsBroadcast(target, clientId))
        {
            if (type == MessageTypes.Status)
            {
                // Recorded even with nobody connected: a socket registering right now is owed it.
                BroadcastStatus(new OutgoingFrame(text(), WebSocketMessageType.Text, IsQueueStatus: true));
            }
            else if (!_clients.IsEmpty)
            {
                Broadcast(new OutgoingFrame(text(), WebSocketMessageType.Text));
            }
        }
        else if (clientId is not null && _clients.TryGetValue(clientId, out ClientConnection? client))
        {
            client.Enqueue(new OutgoingFrame(text(), WebSocketMessageType.Text), _status);
        }
    }

    /// <inheritdoc />
    public bool HasRecipients(MessageTarget target, string? clientId) =>
        IsBroadcast(target, clientId) ? !_clients.IsEmpty : clientId is not null && _clients.ContainsKey(clientId);

    private static bool IsBroadcast(MessageTarget target, string? clientId) =>
        target == MessageTarget.All || (target == MessageTarget.ClientOrAll && clientId is null);

    /// <inheritdoc />
    public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(origin);
        if (clientId is null)
        {
            Broadcast(new OutgoingFrame(BinaryFrames.PreviewImage((uint)image.Format, image.Data.Span), WebSocketMessageType.Binary));
            return;
        }
        if (!_clients.TryGetValue(clientId, out ClientConnection? client))
        {
            return;
        }
        if (FeatureFlags.WantsPreviewMetadata(client.Flags))
        {
            string imageType = image.Format == PreviewFormat.Png ? "image/png" : "image/jpeg";
            JsonObject meta = BinaryFrames.PreviewMetadata(origin.NodeId, origin.PromptId, origin.DisplayNodeId, origin.ParentNodeId, origin.RealNodeId, imageType);
            client.Enqueue(new OutgoingFrame(BinaryFrames.PreviewImageWithMetadata(meta, image.Data.Span), WebSocketMessageType.Binary), _status);
        }
        else
        {
            client.Enqueue(new OutgoingFrame(BinaryFrames.PreviewImage((uint)image.Format, image.Data.Span), WebSocketMessageType.Binary), _status);
        }
    }

    /// <inheritdoc />
    public void SendText(string nodeId, string text) =>
        Broadcast(new OutgoingFrame(BinaryFrames.Text(nodeId, text), WebSocketMessageType.Binary));

    /// <summary>A text for a node (binary event 3) to one client only (with <c>--auth</c>: the prompt's owner).</summary>
    public void SendTextTo(string? clientId, string nodeId, string text)
    {
        if (clientId is not null && _clients.TryGetValue(clientId, out ClientConnection? client))
        {
            client.Enqueue(new OutgoingFrame(BinaryFrames.Text(nodeId, text), WebSocketMessageType.Binary), _status);
        }
    }

    /// <summary>
    /// Serves one accepted socket until it closes: the connect-time <c>status</c> with <c>sid</c>, the
    /// <c>executing</c> re-send for a reconnecting client, and feature-flag negotiation on the first message.
    /// </summary>
    public async Task ServeAsync(WebSocket socket, string? requestedClientId, int queueRemaining,
        (string DisplayNodeId, string? ClientId)? current, JsonObject serverFeatures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(serverFeatures);
        string sid = string.IsNullOrEmpty(requestedClientId) ? Guid.NewGuid().ToString("N") : requestedClientId;
        // The connect-time status reports the queue as it is now: broadcasts before this one are not owed.
        var connection = new ClientConnection(socket, logger, _status.Sequence);
        connection.Enqueue(Text(MessageTypes.Status, Messages.StatusData(queueRemaining, sid)));
        Register(sid, connection);
        if (current is { } running && running.ClientId == sid)
        {
            connection.Enqueue(Text(MessageTypes.Executing, new JsonObject { ["node"] = running.DisplayNodeId }));
        }
        Task sender = connection.RunSenderAsync(cancellationToken);
        try
        {
            await ReceiveAsync(connection, serverFeatures, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only drop the entry if it is still ours: a newer socket may have taken over the sid.
            Unregister(sid, connection);
            connection.Complete();
            await sender.ConfigureAwait(false);
            connection.Dispose();
        }
    }

    private async Task ReceiveAsync(ClientConnection connection, JsonObject serverFeatures, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        bool first = true;
        using var message = new MemoryStream();
        while (connection.Socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await connection.Socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                return;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                try
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidOperationException)
                {
                }
                return;
            }
            if (message.Length < 1024 * 1024)
            {
                message.Write(buffer, 0, result.Count);
            }
            if (!result.EndOfMessage)
            {
                continue;
            }
            if (first && result.MessageType == WebSocketMessageType.Text)
            {
                first = false;
                HandleFirstMessage(connection, message.ToArray(), serverFeatures);
            }
            first = false;
            message.SetLength(0);
        }
    }

    private void HandleFirstMessage(ClientConnection connection, byte[] text, JsonObject serverFeatures)
    {
        try
        {
            if (PythonJson.Parse(text) is JsonObject msg && (string?)(msg["type"] as JsonValue) == MessageTypes.FeatureFlags)
            {
                connection.Flags = msg["data"] as JsonObject;
                connection.Enqueue(Text(MessageTypes.FeatureFlags, (JsonObject)serverFeatures.DeepClone()));
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            logger.LogDebug("Ignoring an unreadable first WebSocket message: {Message}", ex.Message);
        }
    }

    private void Register(string sid, ClientConnection connection)
    {
        lock (_registryLock)
        {
            _clients[sid] = connection;
            _all = [.. _clients.Values];
        }
    }

    private void Unregister(string sid, ClientConnection connection)
    {
        lock (_registryLock)
        {
            if (_clients.TryRemove(new KeyValuePair<string, ClientConnection>(sid, connection)))
            {
                _all = [.. _clients.Values];
            }
        }
    }

    /// <summary>Test seam: the socket registered under <paramref name="sid"/>, if any.</summary>
    internal ClientConnection? Connection(string sid) => _clients.TryGetValue(sid, out ClientConnection? c) ? c : null;

    private void Broadcast(OutgoingFrame frame)
    {
        StatusSnapshot status = _status;
        foreach (ClientConnection client in Volatile.Read(ref _all))
        {
            client.Enqueue(frame, status);
        }
    }

    /// <summary>Records the newest queue status and sends it now, or arms the timer that sends the newest one later.</summary>
    private void BroadcastStatus(OutgoingFrame frame)
    {
        ClientConnection[] all = Volatile.Read(ref _all);
        bool limited = all.Length >= StatusCoalescingMinimumSockets;
        StatusSnapshot status;
        lock (_statusLock)
        {
            status = new StatusSnapshot(frame, _status.Sequence + 1);
            _status = status;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            TimeSpan interval = limited ? TimeSpan.FromTicks(Math.Max(StatusInterval.Ticks, StatusIntervalPerSocket.Ticks * all.Length)) : TimeSpan.Zero;
            // 0 = no broadcast yet: the first one goes out at once. (Measuring from timestamp 0 instead made the
            // first broadcast wait whenever the machine had been up for less than the interval.)
            TimeSpan due = _lastStatusBroadcast == 0 ? TimeSpan.Zero : interval - System.Diagnostics.Stopwatch.GetElapsedTime(_lastStatusBroadcast, now);
            if (due > TimeSpan.Zero)
            {
                if (!_statusTimerArmed)
                {
                    _statusTimerArmed = true;
                    try
                    {
                        _statusTimer.Change(due, Timeout.InfiniteTimeSpan);
                    }
                    catch (ObjectDisposedException)
                    {
                        // Shutting down: the sockets are closing and nobody is owed the newest status.
                    }
                }
                return;
            }
            _lastStatusBroadcast = now;
        }
        foreach (ClientConnection client in all)
        {
            client.EnqueueStatus(status, supersede: limited);
        }
    }

    private void BroadcastNewestStatus()
    {
        StatusSnapshot status;
        lock (_statusLock)
        {
            _statusTimerArmed = false;
            _lastStatusBroadcast = System.Diagnostics.Stopwatch.GetTimestamp();
            status = _status;
        }
        foreach (ClientConnection client in Volatile.Read(ref _all))
        {
            client.EnqueueStatus(status, supersede: true);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _statusTimer.Dispose();

    private static OutgoingFrame Text(string type, JsonObject data) =>
        new(PythonJson.SerializeToUtf8(Messages.Envelope(type, data)), WebSocketMessageType.Text);
}
