using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ComfySharp.Protocol;

namespace ComfySharp.TestKit;

/// <summary>One received WebSocket frame: text (with parsed JSON) or binary.</summary>
/// <param name="Text">The verbatim text, or null for binary.</param>
/// <param name="Binary">The bytes of a binary frame, or null for text.</param>
public sealed record WsFrame(string? Text, byte[]? Binary)
{
    /// <summary>The parsed JSON object of a text frame.</summary>
    public JsonObject? Json => Text is null ? null : PythonJson.Parse(Text) as JsonObject;

    /// <summary>The message <c>type</c> of a text frame, or <c>binary:N</c> for binary event N.</summary>
    public string Type => Text is not null ? (string)Json!["type"]! : $"binary:{BinaryFrames.ReadEventType(Binary)}";

    /// <summary>The <c>data</c> object of a text frame.</summary>
    public JsonObject? Data => Json?["data"] as JsonObject;
}

/// <summary>A <c>/ws</c> client that buffers every frame for inspection.</summary>
public sealed class ComfyWebSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<WsFrame> _frames = Channel.CreateUnbounded<WsFrame>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiver;

    private ComfyWebSocketClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receiver = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Every frame received so far, in order (also those already read with <see cref="NextAsync"/>).</summary>
    public List<WsFrame> Received { get; } = [];

    /// <summary>Connects.</summary>
    public static async Task<ComfyWebSocketClient> ConnectAsync(Uri httpUri)
    {
        ArgumentNullException.ThrowIfNull(httpUri);
        var builder = new UriBuilder(httpUri) { Scheme = httpUri.Scheme == "https" ? "wss" : "ws" };
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(builder.Uri, CancellationToken.None).ConfigureAwait(false);
        return new ComfyWebSocketClient(socket);
    }

    /// <summary>Sends a text message.</summary>
    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame (fails after a generous limit).</summary>
    public async Task<WsFrame> NextAsync(TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(30));
        return await _frames.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
    }

    /// <summary>Reads frames until one matches; returns it (the skipped ones stay in <see cref="Received"/>).</summary>
    public async Task<WsFrame> WaitForAsync(Func<WsFrame, bool> match, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        DateTime end = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            WsFrame frame = await NextAsync(end - DateTime.UtcNow).ConfigureAwait(false);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Waits for <c>executing</c> with <c>node: null</c> for a prompt (how scripts detect completion).</summary>
    public Task<WsFrame> WaitForCompletionAsync(string promptId, TimeSpan? limit = null) =>
        WaitForAsync(f => f.Text is not null && f.Type == "executing" && f.Data!["node"] is null && (string?)f.Data["prompt_id"] == promptId, limit);

    /// <summary>Closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _receiver.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                WsFrame frame = result.MessageType == WebSocketMessageType.Text
                    ? new WsFrame(Encoding.UTF8.GetString(message.ToArray()), null)
                    : new WsFrame(null, message.ToArray());
                message.SetLength(0);
                lock (Received)
                {
                    Received.Add(frame);
                }
                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
