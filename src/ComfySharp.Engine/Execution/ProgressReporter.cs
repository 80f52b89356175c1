using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;

namespace ComfySharp.Engine.Execution;

/// <summary>The per-prompt <c>progress_state</c> registry (WEBSOCKET.md §4.2): every started node, in start order.</summary>
internal sealed class ProgressReporter
{
    private readonly string _promptId;
    private readonly DynamicPrompt _graph;
    private readonly Action<JsonObject> _send;
    private readonly Dictionary<string, JsonObject> _nodes = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public ProgressReporter(string promptId, DynamicPrompt graph, Action<JsonObject> send)
    {
        _promptId = promptId;
        _graph = graph;
        _send = send;
    }

    private JsonObject Entry(string nodeId, JsonNode value, JsonNode max)
    {
        if (!_nodes.TryGetValue(nodeId, out var entry))
        {
            entry = new JsonObject
            {
                ["value"] = value,
                ["max"] = max,
                ["state"] = "running",
                ["node_id"] = nodeId,
                ["prompt_id"] = _promptId,
                ["display_node_id"] = _graph.GetDisplayNodeId(nodeId),
                ["parent_node_id"] = _graph.GetParentNodeId(nodeId),
                ["real_node_id"] = _graph.GetRealNodeId(nodeId),
            };
            _nodes[nodeId] = entry;
            _order.Add(nodeId);
        }
        return entry;
    }

    public void Start(string nodeId)
    {
        var entry = Entry(nodeId, JsonValue.Create(0.0), JsonValue.Create(1.0));
        entry["value"] = Python.Py.FloatNode(0.0);
        entry["max"] = Python.Py.FloatNode(1.0);
        entry["state"] = "running";
        Publish();
    }

    public void Update(string nodeId, JsonNode value, JsonNode max)
    {
        var entry = Entry(nodeId, value.DeepClone(), max.DeepClone());
        entry["value"] = value;
        entry["max"] = max;
        entry["state"] = "running";
        Publish();
    }

    public void Finish(string nodeId)
    {
        var entry = Entry(nodeId, JsonValue.Create(1L), JsonValue.Create(1L));
        entry["value"] = entry["max"]!.DeepClone();
        entry["state"] = "finished";
        Publish();
    }

    private void Publish()
    {
        var nodes = new JsonObject();
        foreach (string id in _order) { nodes[id] = _nodes[id].DeepClone(); }
        _send(new JsonObject { ["prompt_id"] = _promptId, ["nodes"] = nodes });
    }
}
