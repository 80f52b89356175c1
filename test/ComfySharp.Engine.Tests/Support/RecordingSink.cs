using System.Text.Json.Nodes;

namespace ComfySharp.Engine.Tests.Support;

/// <summary>An in-memory message sink: the real engine reports to it exactly as it would to the WebSocket hub.</summary>
public sealed class RecordingSink : IExecutionMessageSink
{
    private readonly Lock _lock = new();
    private readonly List<(string Type, JsonObject Data, MessageTarget Target)> _messages = [];

    public IReadOnlyList<(string Type, JsonObject Data, MessageTarget Target)> Messages
    {
        get { lock (_lock) { return [.. _messages]; } }
    }

    public int Previews { get; private set; }

    /// <summary>Called after each JSON message is recorded (tests use it to interrupt at a chosen point).</summary>
    public Action<string>? OnSend { get; init; }

    public void Send(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        lock (_lock) { _messages.Add((type, (JsonObject)data.DeepClone(), target)); }
        OnSend?.Invoke(type);
    }

    public void SendPreview(ComfySharp.Abstractions.PreviewImage image, PreviewOrigin origin, string? clientId)
    {
        lock (_lock) { Previews++; }
    }

    public void SendText(string nodeId, string text)
    {
    }

    /// <summary>What <see cref="HasRecipients"/> answers: false plays a server with no socket connected.</summary>
    public bool Listening { get; init; } = true;

    public bool HasRecipients(MessageTarget target, string? clientId) => Listening;

    /// <summary>Pre-serialised messages whose bytes differ from what serialising their object gives (must stay empty).</summary>
    public List<string> SerializationMismatches { get; } = [];

    public int SerializedCount { get; private set; }

    public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId)
    {
        var message = data();
        string expected = ComfySharp.Protocol.PythonJson.Serialize(ComfySharp.Protocol.Messages.Envelope(type, message.DeepClone()));
        string actual = System.Text.Encoding.ASCII.GetString(envelope);
        lock (_lock)
        {
            SerializedCount++;
            if (expected != actual) { SerializationMismatches.Add($"expected {expected}\n     got {actual}"); }
        }
        Send(type, message, target, clientId);
    }

    public IEnumerable<JsonObject> OfType(string type) => Messages.Where(m => m.Type == type).Select(m => m.Data);

    /// <summary>The ids of the <c>executing</c> messages, in order.</summary>
    public List<string> Executing() => [.. OfType("executing").Select(d => (string)d["node"]!)];
}
