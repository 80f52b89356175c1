using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Execution;

/// <summary>The run's messages: what is sent to clients and recorded in the status, and progress reported by nodes.</summary>
internal sealed partial class ExecutionRun
{
    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void Emit(string type, JsonObject data, MessageTarget target)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.Send(type, data, target, _clientId);
        }
    }

    private void EmitSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.SendSerialized(type, envelope, data, target, _clientId);
        }
    }

    private void AddMessage(string type, JsonObject data, bool broadcast)
    {
        data["timestamp"] = Now();
        _statusMessages.Add(new JsonArray(type, data.DeepClone()));
        Emit(type, data, broadcast ? MessageTarget.ClientOrAll : MessageTarget.ClientOnly);
    }

    private JsonArray ExecutedArray() => new(_executed.Select(e => (JsonNode?)e).ToArray());
    // ---------------------------------------------------------------- progress from nodes

    public void ReportProgressBar(string nodeId, JsonNode value, JsonNode max, PreviewImage? preview)
    {
        _interrupt.ThrowIfCancellationRequested();
        NodeToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_closed) { return; }
            _progress.Update(nodeId, value, max);
            if (preview is not null)
            {
                _sink.SendPreview(preview, new PreviewOrigin(nodeId, Prompt.PromptId, Graph.GetDisplayNodeId(nodeId), Graph.GetParentNodeId(nodeId), Graph.GetRealNodeId(nodeId)), _clientId);
            }
            _sink.Send("progress", new JsonObject
            {
                ["value"] = value.DeepClone(),
                ["max"] = max.DeepClone(),
                ["prompt_id"] = Prompt.PromptId,
                ["node"] = nodeId,
            }, MessageTarget.ClientOrAll, _clientId);
        }
    }

    public void ReportProgressApi(string nodeId, JsonNode value, JsonNode max)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _progress.Update(nodeId, value, max);
        }
    }

    public void SendText(string nodeId, string text)
    {
        lock (_lock)
        {
            if (_closed) { return; }
            _sink.SendText(nodeId, text, _clientId);
        }
    }
}
