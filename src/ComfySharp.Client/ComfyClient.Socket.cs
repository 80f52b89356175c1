using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace ComfySharp.Client;

// ComfyClient: the /ws event stream.
public sealed partial class ComfyClient
{
    // ---------------------------------------------------------------- events

    /// <summary>
    /// Connects to <c>/ws?clientId=</c> and yields every message until cancelled or the socket closes.
    /// With <paramref name="sendFeatureFlags"/> the client first announces <c>supports_preview_metadata</c>
    /// (previews then arrive as event 4 with metadata).
    /// </summary>
    public async IAsyncEnumerable<ComfyEvent> StreamEventsAsync(bool sendFeatureFlags = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using ClientWebSocket socket = await ConnectSocketAsync(sendFeatureFlags, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ComfyEvent? message = await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                yield break;
            }
            yield return message;
        }
    }

    /// <summary>Opens the WebSocket (with the bearer token, and the feature flags first when asked).</summary>
    public async Task<ClientWebSocket> ConnectSocketAsync(bool sendFeatureFlags = false, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        try
        {
            string query = "clientId=" + Uri.EscapeDataString(ClientId);
            if (Options.Credential is { } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
                // Browser sockets cannot set headers, so the server also reads ?token=; an API key goes both ways.
                if (Options.ApiKey is { Length: > 0 })
                {
                    query += "&token=" + Uri.EscapeDataString(token);
                }
            }
            var builder = new UriBuilder(new Uri(BaseAddress, "ws")) { Query = query };
            builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
            await socket.ConnectAsync(builder.Uri, cancellationToken).ConfigureAwait(false);
            if (sendFeatureFlags)
            {
                byte[] flags = Encoding.UTF8.GetBytes("{\"type\": \"feature_flags\", \"data\": {\"supports_preview_metadata\": true}}");
                await socket.SendAsync(flags, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Receives one message; null when the socket closed.</summary>
    public static async Task<ComfyEvent?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return result.MessageType == WebSocketMessageType.Binary
                    ? ComfyEvent.ParseBinary(buffer.ToArray())
                    : ComfyEvent.ParseText(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }
        }
    }
}
