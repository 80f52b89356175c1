using System.Text.Json.Nodes;

namespace ComfySharp.Abstractions;

/// <summary>
/// A value that stops every node downstream of it (EXECUTION.md §11). With a message, the first node
/// it stops reports the "blocked" <c>execution_error</c> variant; the prompt continues.
/// </summary>
/// <param name="Message">Optional message shown to the user.</param>
public sealed record ExecutionBlocker(string? Message);

/// <summary>A link to an output slot of another node: <c>["id", slot]</c> in the wire format.</summary>
/// <param name="NodeId">Source node id.</param>
/// <param name="Slot">Output index.</param>
public sealed record NodeLink(string NodeId, int Slot)
{
    /// <summary>The wire form <c>["id", slot]</c>.</summary>
    public JsonArray ToJson() => new(NodeId, Slot);
}

/// <summary>
/// What one call of a node returns: its output values (one per slot), optional UI data for
/// <c>executed</c>/history, or a graph expansion whose links the outputs may reference.
/// </summary>
public sealed class NodeOutput
{
    private NodeOutput(IReadOnlyList<object?> values, JsonObject? ui, JsonObject? expand, ExecutionBlocker? blocker)
    {
        Values = values;
        Ui = ui;
        Expand = expand;
        Blocker = blocker;
    }

    /// <summary>One value per output slot. With <see cref="Expand"/>, a value may be a <see cref="NodeLink"/> into the expansion.</summary>
    public IReadOnlyList<object?> Values { get; }

    /// <summary>UI data (e.g. <c>{"images": [...]}</c>), or null.</summary>
    public JsonObject? Ui { get; }

    /// <summary>A subgraph in API format to add to the running prompt (EXECUTION.md §9), or null.</summary>
    public JsonObject? Expand { get; }

    /// <summary>When set, the call returned a blocker instead of values: every output becomes it.</summary>
    public ExecutionBlocker? Blocker { get; }

    /// <summary>Plain outputs.</summary>
    public static NodeOutput Of(params object?[] values) => new(values, null, null, null);

    /// <summary>Outputs with UI data.</summary>
    public static NodeOutput WithUi(JsonObject ui, params object?[] values) => new(values, ui, null, null);

    /// <summary>UI data only (output nodes without outputs).</summary>
    public static NodeOutput UiOnly(JsonObject ui) => new([], ui, null, null);

    /// <summary>A graph expansion: <paramref name="values"/> may hold <see cref="NodeLink"/>s into <paramref name="graph"/>.</summary>
    public static NodeOutput Expansion(JsonObject graph, IReadOnlyList<object?> values, JsonObject? ui = null) => new(values, ui, graph, null);

    /// <summary>Blocks every output.</summary>
    public static NodeOutput Blocked(ExecutionBlocker blocker) => new([], null, null, blocker);
}
