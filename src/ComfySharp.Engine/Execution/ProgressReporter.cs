using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;

namespace ComfySharp.Engine.Execution;

/// <summary>
/// The per-prompt <c>progress_state</c> registry (WEBSOCKET.md §4.2): every started node, in start order.
/// Updating a node is O(1); the full snapshot the protocol sends is built only when someone will receive it.
/// </summary>
internal sealed class ProgressReporter
{
    private sealed class NodeState(string nodeId)
    {
        public string NodeId { get; } = nodeId;
        public JsonNode Value { get; set; } = Python.Py.FloatNode(0.0);
        public JsonNode Max { get; set; } = Python.Py.FloatNode(1.0);
        public bool Finished { get; set; }
    }

    private readonly string _promptId;
    private readonly DynamicPrompt _graph;
    private readonly Func<bool> _hasRecipients;
    private readonly Action<JsonObject> _send;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly List<NodeState> _order = [];

    public ProgressReporter(string promptId, DynamicPrompt graph, Func<bool> hasRecipients, Action<JsonObject> send)
    {
        _promptId = promptId;
        _graph = graph;
        _hasRecipients = hasRecipients;
        _send = send;
    }

    private NodeState State(string nodeId)
    {
        if (!_nodes.TryGetValue(nodeId, out var state))
        {
            state = new NodeState(nodeId);
            _nodes[nodeId] = state;
            _order.Add(state);
        }
        return state;
    }

    public void Start(string nodeId)
    {
        var state = State(nodeId);
        state.Value = Python.Py.FloatNode(0.0);
        state.Max = Python.Py.FloatNode(1.0);
        state.Finished = false;
        Publish();
    }

    public void Update(string nodeId, JsonNode value, JsonNode max)
    {
        var state = State(nodeId);
        state.Value = value.DeepClone();
        state.Max = max.DeepClone();
        state.Finished = false;
        Publish();
    }

    public void Finish(string nodeId)
    {
        bool known = _nodes.ContainsKey(nodeId);
        var state = State(nodeId);
        if (!known)
        {
            // A cached output node never started: it appears with integer 1/1.
            state.Max = JsonValue.Create(1L);
        }
        state.Value = state.Max.DeepClone();
        state.Finished = true;
        Publish();
    }

    private void Publish()
    {
        if (!_hasRecipients()) { return; }
        var nodes = new JsonObject();
        foreach (var state in _order)
        {
            nodes[state.NodeId] = new JsonObject
            {
                ["value"] = state.Value.DeepClone(),
                ["max"] = state.Max.DeepClone(),
                ["state"] = state.Finished ? "finished" : "running",
                ["node_id"] = state.NodeId,
                ["prompt_id"] = _promptId,
                ["display_node_id"] = _graph.GetDisplayNodeId(state.NodeId),
                ["parent_node_id"] = _graph.GetParentNodeId(state.NodeId),
                ["real_node_id"] = _graph.GetRealNodeId(state.NodeId),
            };
        }
        _send(new JsonObject { ["prompt_id"] = _promptId, ["nodes"] = nodes });
    }
}
