using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;
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
public sealed class ClientHub(ILogger<ClientHub> logger) : IExecutionMessageSink
{
    private readonly ConcurrentDictionary<string, ClientConnection> _clients = new(StringComparer.Ordinal);

    /// <summary>Connected sockets.</summary>
    public int Count => _clients.Count;

    /// <summary>True when a socket is registered under <paramref name="sid"/>.</summary>
    public bool IsConnected(string sid) => _clients.ContainsKey(sid);

    /// <inheritdoc />
    public void Send(string type, JsonObject data, MessageTarget target, string? clientId) =>
        Route(target, clientId, () => PythonJson.SerializeToUtf8(Messages.Envelope(type, data)));

    /// <inheritdoc />
    public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId) =>
        Route(target, clientId, () => envelope);

    /// <inheritdoc />
    public bool HasRecipients(MessageTarget target, string? clientId) =>
        IsBroadcast(target, clientId) ? !_clients.IsEmpty : clientId is not null && _clients.ContainsKey(clientId);

    private static bool IsBroadcast(MessageTarget target, string? clientId) =>
        target == MessageTarget.All || (target == MessageTarget.ClientOrAll && clientId is null);

    /// <summary>Queues a text message for its recipients (WEBSOCKET.md §4); serialises only when someone receives it.</summary>
    private void Route(MessageTarget target, string? clientId, Func<byte[]> text)
    {
        if (IsBroadcast(target, clientId))
        {
            if (!_clients.IsEmpty)
            {
                Broadcast(new OutgoingFrame(text(), WebSocketMessageType.Text));
            }
        }
        else if (clientId is not null && _clients.TryGetValue(clientId, out ClientConnection? client))
        {
            client.Enqueue(new OutgoingFrame(text(), WebSocketMessageType.Text));
        }
    }

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
            client.Enqueue(new OutgoingFrame(BinaryFrames.PreviewImageWithMetadata(meta, image.Data.Span), WebSocketMessageType.Binary));
        }
        else
        {
            client.Enqueue(new OutgoingFrame(BinaryFrames.PreviewImage((uint)image.Format, image.Data.Span), WebSocketMessageType.Binary));
        }
    }

    /// <inheritdoc />
    public void SendText(string nodeId, string text) =>
        Broadcast(new OutgoingFrame(BinaryFrames.Text(nodeId, text), WebSocketMessageType.Binary));

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
        var connection = new ClientConnection(socket, logger);
        connection.Enqueue(Text(MessageTypes.Status, Messages.StatusData(queueRemaining, sid)));
        _clients[sid] = connection;
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
            _clients.TryRemove(new KeyValuePair<string, ClientConnection>(sid, connection));
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

    private void Broadcast(OutgoingFrame frame)
    {
        foreach (ClientConnection client in _clients.Values)
        {
            client.Enqueue(frame);
        }
    }

    private static OutgoingFrame Text(string type, JsonObject data) =>
        new(PythonJson.SerializeToUtf8(Messages.Envelope(type, data)), WebSocketMessageType.Text);
}

/// <summary>One frame waiting in a socket's outbox.</summary>
/// <param name="Payload">Bytes to send.</param>
/// <param name="Type">Text or binary.</param>
internal sealed record OutgoingFrame(byte[] Payload, WebSocketMessageType Type);

/// <summary>A socket with its outbox and the flags it announced.</summary>
internal sealed class ClientConnection(WebSocket socket, ILogger logger) : IDisposable
{
    private readonly Channel<OutgoingFrame> _outbox = Channel.CreateUnbounded<OutgoingFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public WebSocket Socket { get; } = socket;

    public volatile JsonObject? Flags;

    public void Enqueue(OutgoingFrame frame) => _outbox.Writer.TryWrite(frame);

    public void Complete() => _outbox.Writer.TryComplete();

    public async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (OutgoingFrame frame in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Socket.State != WebSocketState.Open)
                {
                    continue;
                }
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await Socket.SendAsync(frame.Payload, frame.Type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // A vanished client must never affect execution.
                    logger.LogDebug("WebSocket send failed: {Message}", ex.Message);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _sendLock.Dispose();

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
}
