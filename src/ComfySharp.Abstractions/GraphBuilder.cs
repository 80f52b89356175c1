using System.Text.Json.Nodes;

namespace ComfySharp.Abstractions;

/// <summary>
/// Builds the subgraph a node returns by expansion (EXECUTION.md §9). Ids are
/// <c>prefix + local id</c> with local ids "1", "2", ... in creation order (or chosen), inputs keep insertion
/// order. Input values may be <see cref="NodeLink"/>s, JSON primitives, or any runtime object (tensors,
/// models), which is embedded as a constant.
/// </summary>
public sealed class GraphBuilder
{
    private readonly JsonObject _graph = [];
    private int _nextLocalId = 1;

    /// <summary>Creates a builder; <paramref name="prefix"/> comes from <see cref="NodeContext.NextExpansionPrefix"/>.</summary>
    public GraphBuilder(string prefix) => Prefix = prefix;

    /// <summary>The id prefix, e.g. <c>"5.0.0."</c>.</summary>
    public string Prefix { get; }

    /// <summary>Adds a node with the next numeric local id.</summary>
    public GraphNode Node(string classType, params (string Name, object? Value)[] inputs) =>
        Node(classType, (_nextLocalId++).ToString(System.Globalization.CultureInfo.InvariantCulture), null, inputs);

    /// <summary>Adds a node with a chosen local id and optional display id.</summary>
    public GraphNode Node(string classType, string localId, string? overrideDisplayId, params (string Name, object? Value)[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string id = Prefix + localId;
        var inputObject = new JsonObject();
        foreach (var (name, value) in inputs)
        {
            inputObject[name] = ToJson(value);
        }
        var node = new JsonObject { ["class_type"] = classType, ["inputs"] = inputObject };
        if (overrideDisplayId is not null)
        {
            node["override_display_id"] = overrideDisplayId;
        }
        _graph[id] = node;
        return new GraphNode(id, inputObject);
    }

    /// <summary>The graph in API format.</summary>
    public JsonObject Build() => _graph;

    /// <summary>Converts an input value to its JSON form: links become <c>["id", slot]</c>, runtime objects are embedded.</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        NodeLink link => link.ToJson(),
        JsonNode node => CloneValue(node),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        ulong u => JsonValue.Create(u),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create((double)f),
        _ => Embed(value),
    };

    /// <summary>Wraps a runtime object (tensor, model) as a JSON constant that the executor hands back unchanged.</summary>
    public static JsonValue Embed(object value) => JsonValue.Create<object>(value)!;

    /// <summary>
    /// Copies a JSON value while keeping embedded runtime objects by reference (a plain
    /// <see cref="JsonNode.DeepClone"/> would serialise them).
    /// </summary>
    public static JsonNode? CloneValue(JsonNode? node)
    {
        switch (node)
        {
            case null: return null;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, child) in obj) { copy[key] = CloneValue(child); }
                return copy;
            case JsonArray array:
                var list = new JsonArray();
                foreach (var child in array) { list.Add(CloneValue(child)); }
                return list;
            case JsonValue value:
                if (value.TryGetValue<System.Text.Json.JsonElement>(out _)) { return value.DeepClone(); }
                if (value.TryGetValue<object>(out object? raw) && raw is not (string or bool or long or int or ulong or double or float or decimal))
                {
                    return JsonValue.Create<object>(raw);
                }
                return value.DeepClone();
            default: return node.DeepClone();
        }
    }
}

/// <summary>A node added by a <see cref="GraphBuilder"/>.</summary>
/// <param name="Id">Its full id.</param>
/// <param name="Inputs">Its inputs object (may be edited further).</param>
public sealed record GraphNode(string Id, JsonObject Inputs)
{
    /// <summary>A link to one of its outputs.</summary>
    public NodeLink Out(int slot) => new(Id, slot);
}
