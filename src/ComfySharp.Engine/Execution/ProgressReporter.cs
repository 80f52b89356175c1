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
        public JsonNode Value { get; set; } = Zero;
        public JsonNode Max { get; set; } = One;
        public byte[] ValueBytes { get; set; } = ZeroBytes;
        public byte[] MaxBytes { get; set; } = OneBytes;
        public bool Finished { get; set; }

        /// <summary>The entry's fields after <c>state</c>, which never change: <c>, "node_id": ..., "real_node_id": ...}</c>.</summary>
        public byte[]? Tail { get; set; }

        /// <summary><c>"id": {"value": </c>.</summary>
        public byte[]? Key { get; set; }

        /// <summary><c>"id": {...}</c> as written inside the snapshot; null after a change.</summary>
        public byte[]? Serialized { get; set; }
    }

    private static readonly byte[] Separator = ", "u8.ToArray();
    private static readonly byte[] MaxLabel = ", \"max\": "u8.ToArray();
    private static readonly byte[] RunningHead = ", \"state\": \"running\""u8.ToArray();
    private static readonly byte[] FinishedHead = ", \"state\": \"finished\""u8.ToArray();

    // Start resets every node to 0.0/1.0; the nodes are never mutated (Entry clones them), so they are shared.
    private static readonly JsonNode Zero = Python.Py.FloatNode(0.0);
    private static readonly JsonNode One = Python.Py.FloatNode(1.0);
    private static readonly byte[] ZeroBytes = System.Text.Encoding.ASCII.GetBytes(PythonJson.Serialize(Zero));
    private static readonly byte[] OneBytes = System.Text.Encoding.ASCII.GetBytes(PythonJson.Serialize(One));

    private readonly string _promptId;
    private readonly DynamicPrompt _graph;
    private readonly Func<bool> _hasRecipients;
    private readonly Action<byte[], Func<JsonObject>> _send;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly List<NodeState> _order = [];
    private readonly byte[] _prefix;

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
        state.Value = Zero;
        state.Max = One;
        state.ValueBytes = ZeroBytes;
        state.MaxBytes = OneBytes;
        state.Finished = false;
        Publish();
    }

    public void Update(string nodeId, JsonNode value, JsonNode max)
    {
        var state = State(nodeId);
        state.Value = value.DeepClone();
        state.Max = max.DeepClone();
        state.ValueBytes = System.Text.Encoding.ASCII.GetBytes(PythonJson.Serialize(state.Value));
        state.MaxBytes = System.Text.Encoding.ASCII.GetBytes(PythonJson.Serialize(state.Max));
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
            state.MaxBytes = "1"u8.ToArray();
        }
        state.Value = state.Max;
        state.ValueBytes = state.MaxBytes;
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

    /// <summary><c>"id": {"value": V, "max": M, "state": S, ...}</c>, assembled from the node's cached parts.</summary>
    private byte[] SerializeEntry(NodeState state)
    {
        if (state.Tail is null)
        {
            // The fields after "state" never change for a node: serialise them once, as PythonJson writes
            // them inside the entry object (its members joined by ", "), and keep the key with them.
            string fixedFields = PythonJson.Serialize(new JsonObject
            {
                ["node_id"] = state.NodeId,
                ["prompt_id"] = _promptId,
                ["display_node_id"] = _graph.GetDisplayNodeId(state.NodeId),
                ["parent_node_id"] = _graph.GetParentNodeId(state.NodeId),
                ["real_node_id"] = _graph.GetRealNodeId(state.NodeId),
            });
            state.Tail = System.Text.Encoding.ASCII.GetBytes(", " + fixedFields[1..]);
            state.Key = System.Text.Encoding.ASCII.GetBytes(PythonJson.Serialize(JsonValue.Create(state.NodeId)) + ": {\"value\": ");
        }
        byte[] head = state.Finished ? FinishedHead : RunningHead;
        return [.. state.Key!, .. state.ValueBytes, .. MaxLabel, .. state.MaxBytes, .. head, .. state.Tail];
    }

    /// <summary>The snapshot's whole envelope, serialised exactly as <c>PythonJson</c> writes <see cref="Snapshot"/>.</summary>
    /// <remarks>The snapshot is measured first and copied once into an array of its exact size (the sink keeps it).</remarks>
    internal byte[] SerializedEnvelope()
    {
        int length = _prefix.Length + 3 + (Math.Max(_order.Count, 1) - 1) * Separator.Length;
        foreach (var state in _order)
        {
            state.Serialized ??= SerializeEntry(state);
            length += state.Serialized.Length;
        }
        var envelope = new byte[length];
        var span = envelope.AsSpan();
        _prefix.CopyTo(span);
        int at = _prefix.Length;
        bool first = true;
        foreach (var state in _order)
        {
            if (!first)
            {
                Separator.CopyTo(span[at..]);
                at += Separator.Length;
            }
            first = false;
            state.Serialized!.CopyTo(span[at..]);
            at += state.Serialized!.Length;
        }
        "}}}"u8.CopyTo(span[at..]);
        return envelope;
    }

    private void Publish()
    {
        if (!_hasRecipients()) { return; }
        _send(SerializedEnvelope(), Snapshot);
    }
}
