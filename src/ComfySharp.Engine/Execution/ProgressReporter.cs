using System.Buffers;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;
using ComfySharp.Protocol;

namespace ComfySharp.Engine.Execution;

/// <summary>
/// The per-prompt <c>progress_state</c> registry (WEBSOCKET.md §4.2): every started node, in start order.
/// The protocol sends a full snapshot on every change, so a prompt of n nodes sends O(n²) entries.
/// Updating a node is O(1); a snapshot is built only when someone will receive it, and then from
/// each node's serialised entry, which is made once per change (finished nodes never change again),
/// so a snapshot costs a copy of bytes rather than building and serialising n JSON objects.
/// </summary>
internal sealed class ProgressReporter
{
    private sealed class NodeState(string nodeId)
    {
        public string NodeId { get; } = nodeId;
        public JsonNode Value { get; set; } = Python.Py.FloatNode(0.0);
        public JsonNode Max { get; set; } = Python.Py.FloatNode(1.0);
        public bool Finished { get; set; }

        /// <summary><c>"id": {...}</c> as written inside the snapshot; null after a change.</summary>
        public byte[]? Serialized { get; set; }
    }

    private static readonly byte[] Separator = ", "u8.ToArray();

    private readonly string _promptId;
    private readonly DynamicPrompt _graph;
    private readonly Func<bool> _hasRecipients;
    private readonly Action<byte[], Func<JsonObject>> _send;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly List<NodeState> _order = [];
    private readonly byte[] _prefix;
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ProgressReporter(string promptId, DynamicPrompt graph, Func<bool> hasRecipients, Action<byte[], Func<JsonObject>> send)
    {
        _promptId = promptId;
        _graph = graph;
        _hasRecipients = hasRecipients;
        _send = send;
        // The envelope up to the first entry: {"type": "progress_state", "data": {"prompt_id": "...", "nodes": {
        string promptIdJson = PythonJson.Serialize(JsonValue.Create(promptId));
        _prefix = System.Text.Encoding.ASCII.GetBytes($"{{\"type\": \"progress_state\", \"data\": {{\"prompt_id\": {promptIdJson}, \"nodes\": {{");
    }

    private NodeState State(string nodeId)
    {
        if (!_nodes.TryGetValue(nodeId, out var state))
        {
            state = new NodeState(nodeId);
            _nodes[nodeId] = state;
            _order.Add(state);
        }
        state.Serialized = null;
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

    private JsonObject Entry(NodeState state) => new()
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

    /// <summary>The snapshot as an object (for sinks that want one; tests compare it with the bytes).</summary>
    internal JsonObject Snapshot()
    {
        var nodes = new JsonObject();
        foreach (var state in _order) { nodes[state.NodeId] = Entry(state); }
        return new JsonObject { ["prompt_id"] = _promptId, ["nodes"] = nodes };
    }

    /// <summary>The snapshot's whole envelope, serialised exactly as <c>PythonJson</c> writes <see cref="Snapshot"/>.</summary>
    internal byte[] SerializedEnvelope()
    {
        _buffer.Clear();
        _buffer.Write(_prefix);
        bool first = true;
        foreach (var state in _order)
        {
            if (!first) { _buffer.Write(Separator); }
            first = false;
            state.Serialized ??= System.Text.Encoding.ASCII.GetBytes(
                PythonJson.Serialize(JsonValue.Create(state.NodeId)) + ": " + PythonJson.Serialize(Entry(state)));
            _buffer.Write(state.Serialized);
        }
        _buffer.Write("}}}"u8);
        return _buffer.WrittenSpan.ToArray();
    }

    private void Publish()
    {
        if (!_hasRecipients()) { return; }
        _send(SerializedEnvelope(), Snapshot);
    }
}
