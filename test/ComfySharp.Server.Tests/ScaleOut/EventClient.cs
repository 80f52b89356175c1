using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Server.Tests.ScaleOut;

/// <summary>A WebSocket client of an API node that records every JSON message (type, prompt id, node) it receives.</summary>
internal sealed class EventClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;

    private EventClient(string clientId) => ClientId = clientId;

    public string ClientId { get; }

    /// <summary>Every message: (type, prompt_id or null, node or null).</summary>
    public ConcurrentQueue<(string Type, string? PromptId, string? Node)> Messages { get; } = new();

    public static async Task<EventClient> ConnectAsync(Uri api, string clientId)
    {
        var client = new EventClient(clientId);
        var uri = new UriBuilder(api) { Scheme = "ws", Path = "ws", Query = "clientId=" + clientId }.Uri;
        await client._socket.ConnectAsync(uri, CancellationToken.None);
        client._reader = Task.Run(client.ReadAsync);
        return client;
    }

    /// <summary>Prompt ids whose final <c>executing {node: null}</c> arrived, with how many times.</summary>
    public Dictionary<string, int> Finished() => Messages
        .Where(m => m.Type == MessageTypes.Executing && m.Node is null && m.PromptId is not null)
        .GroupBy(m => m.PromptId!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        if (_reader is not null)
        {
            await _reader;
        }
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Text
                    && PythonJson.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length)) is JsonObject o)
                {
                    JsonObject? data = o["data"] as JsonObject;
                    Messages.Enqueue(((string)o["type"]!, data?["prompt_id"] is JsonValue p ? (string?)p : null, data?["node"] is JsonValue n ? (string?)n : null));
                }
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The node was killed, or the test is done.
        }
    }
}
