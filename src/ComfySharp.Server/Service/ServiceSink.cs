using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Server.WebSockets;

namespace ComfySharp.Server.Service;

/// <summary>Something that watches the execution messages besides the WebSocket hub (metrics, SSE, waiters, webhooks).</summary>
internal interface IExecutionObserver
{
    /// <summary>True when this observer wants messages that only exist for listeners (<c>progress_state</c>).</summary>
    bool WantsEverything { get; }

    /// <summary>Called on the worker's thread for every JSON message; must be quick and must not throw.</summary>
    void OnMessage(string type, JsonObject data, MessageTarget target, string? clientId);
}

/// <summary>
/// The execution message sink the engine sees: every message goes to the <see cref="ClientHub"/>
/// exactly as before, then to the observers. Previews and texts are WebSocket-only. With
/// <paramref name="usersApart"/> (<c>--auth</c>) binary frames reach only the prompt's own client (whose id is
/// scoped to its user), never every socket.
/// </summary>
internal sealed class ServiceSink(ClientHub hub, IEnumerable<IExecutionObserver> observers, bool usersApart = false) : IExecutionMessageSink
{
    private readonly IExecutionObserver[] _observers = [.. observers];

    public void Send(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        hub.Send(type, data, target, clientId);
        Notify(type, data, target, clientId);
    }

    public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId)
    {
        hub.SendSerialized(type, envelope, data, target, clientId);
        if (_observers.Any(o => o.WantsEverything))
        {
            Notify(type, data(), target, clientId);
        }
    }

    public bool HasRecipients(MessageTarget target, string? clientId) =>
        hub.HasRecipients(target, clientId) || _observers.Any(o => o.WantsEverything);

    public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
    {
        // A prompt with no client broadcasts its previews in the reference; between users that would leak them.
        if (!usersApart || clientId is not null)
        {
            hub.SendPreview(image, origin, clientId);
        }
    }

    public void SendText(string nodeId, string text)
    {
        if (!usersApart)
        {
            hub.SendText(nodeId, text);
        }
    }

    public void SendText(string nodeId, string text, string? clientId)
    {
        if (!usersApart)
        {
            hub.SendText(nodeId, text);
        }
        else if (clientId is not null)
        {
            hub.SendTextTo(clientId, nodeId, text);
        }
    }

    private void Notify(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        foreach (IExecutionObserver observer in _observers)
        {
            observer.OnMessage(type, data, target, clientId);
        }
    }
}
