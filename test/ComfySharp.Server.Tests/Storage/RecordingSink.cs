using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>Records the types of the JSON messages it receives.</summary>
internal sealed class RecordingSink : IExecutionMessageSink
{
    private readonly List<string> _types = [];

    public IReadOnlyList<string> Types
    {
        get
        {
            lock (_types)
            {
                return [.. _types];
            }
        }
    }

    public void Send(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        lock (_types)
        {
            _types.Add(type);
        }
    }

    public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
    {
    }

    public void SendText(string nodeId, string text)
    {
    }
}
