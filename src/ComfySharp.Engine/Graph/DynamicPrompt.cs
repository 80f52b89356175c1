using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Graph;

/// <summary>
/// The live graph of one prompt: the submitted nodes plus ephemeral nodes added by expansion, with
/// each ephemeral node's parent (its creator) and display id (EXECUTION.md §9.2–§9.3).
/// </summary>
public sealed class DynamicPrompt : IDynamicPrompt
{
    private readonly JsonObject _original;
    private readonly Dictionary<string, JsonObject> _ephemeral = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _parents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _displays = new(StringComparer.Ordinal);

    /// <summary>Wraps a submitted (validated) graph.</summary>
    public DynamicPrompt(JsonObject original) => _original = original;

    /// <summary>The submitted graph.</summary>
    public JsonObject Original => _original;

    /// <inheritdoc />
    public bool HasNode(string nodeId) => _ephemeral.ContainsKey(nodeId) || _original[nodeId] is JsonObject;

    /// <inheritdoc />
    public JsonObject GetNode(string nodeId)
    {
        if (_ephemeral.TryGetValue(nodeId, out var node)) { return node; }
        if (_original[nodeId] is JsonObject original) { return original; }
        var error = new KeyNotFoundException($"Node {nodeId} not found");
        error.Data["PythonKey"] = Python.Py.StringRepr(nodeId);
        throw error;
    }

    /// <summary>True when the node was created by expansion.</summary>
    public bool IsEphemeral(string nodeId) => _ephemeral.ContainsKey(nodeId);

    /// <summary>Adds an ephemeral node created by <paramref name="parentId"/>.</summary>
    public void AddEphemeral(string nodeId, JsonObject node, string parentId, string displayId)
    {
        _ephemeral[nodeId] = node;
        _parents[nodeId] = parentId;
        _displays[nodeId] = displayId;
    }

    /// <summary>The direct creator of an ephemeral node, else null.</summary>
    public string? GetParentNodeId(string nodeId) => _parents.GetValueOrDefault(nodeId);

    /// <summary>Follows parents to the submitted graph's node.</summary>
    public string GetRealNodeId(string nodeId)
    {
        string id = nodeId;
        while (_parents.TryGetValue(id, out string? parent)) { id = parent; }
        return id;
    }

    /// <inheritdoc />
    public string GetDisplayNodeId(string nodeId)
    {
        string id = nodeId;
        int guard = 0;
        while (_displays.TryGetValue(id, out string? display) && display != id && guard++ < 10_000) { id = display; }
        return id;
    }

    /// <summary>The class of a node.</summary>
    public string GetClassType(string nodeId) => (string?)GetNode(nodeId)["class_type"] ?? "";

    /// <summary>The inputs object of a node (empty when absent).</summary>
    public JsonObject GetInputs(string nodeId) => GetNode(nodeId)["inputs"] as JsonObject ?? [];
}
