using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>An output socket of a node in a <see cref="WorkflowBuilder"/>: <c>["id", index]</c> on the wire.</summary>
/// <param name="NodeId">The node id.</param>
/// <param name="Index">The output index.</param>
public sealed record NodeOutputRef(string NodeId, int Index);

/// <summary>A node being built.</summary>
public sealed class WorkflowNode
{
    internal WorkflowNode(string id, string classType, JsonObject inputs)
    {
        Id = id;
        ClassType = classType;
        Inputs = inputs;
    }

    /// <summary>The node id.</summary>
    public string Id { get; }

    /// <summary>The node class.</summary>
    public string ClassType { get; }

    /// <summary>The inputs object (key order is kept: it influences execution order).</summary>
    public JsonObject Inputs { get; }

    /// <summary>Output <paramref name="index"/> of this node.</summary>
    public NodeOutputRef this[int index] => new(Id, index);

    /// <summary>Sets a widget value (string, number, bool, or any JSON node).</summary>
    public WorkflowNode Set(string input, JsonNode? value)
    {
        Inputs[input] = value;
        return this;
    }

    /// <summary>Links an input to another node's output.</summary>
    public WorkflowNode Link(string input, NodeOutputRef source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Inputs[input] = new JsonArray(source.NodeId, source.Index);
        return this;
    }

    /// <summary>Links an input to output 0 of another node.</summary>
    public WorkflowNode Link(string input, WorkflowNode source) => Link(input, (source ?? throw new ArgumentNullException(nameof(source)))[0]);
}

/// <summary>Builds an API-format prompt: <c>{"id": {"class_type", "inputs"}}</c>.</summary>
public sealed class WorkflowBuilder
{
    private readonly List<WorkflowNode> _nodes = [];
    private int _nextId = 1;

    /// <summary>Adds a node with an automatic numeric id (or the given one).</summary>
    public WorkflowNode Add(string classType, object? inputs = null, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(classType);
        id ??= NextId();
        if (_nodes.Any(n => n.Id == id))
        {
            throw new ArgumentException($"Node id '{id}' is already used.", nameof(id));
        }
        var node = new WorkflowNode(id, classType, []);
        if (inputs is not null)
        {
            foreach (System.Reflection.PropertyInfo property in inputs.GetType().GetProperties())
            {
                object? value = property.GetValue(inputs);
                if (value is NodeOutputRef link)
                {
                    node.Link(property.Name, link);
                }
                else if (value is WorkflowNode source)
                {
                    node.Link(property.Name, source);
                }
                else
                {
                    node.Set(property.Name, value is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(value, value.GetType()));
                }
            }
        }
        _nodes.Add(node);
        return node;
    }

    /// <summary>The node with this id.</summary>
    public WorkflowNode this[string id] => _nodes.FirstOrDefault(n => n.Id == id) ?? throw new KeyNotFoundException($"No node '{id}'.");

    /// <summary>The API-format graph.</summary>
    public JsonObject Build()
    {
        var prompt = new JsonObject();
        foreach (WorkflowNode node in _nodes)
        {
            prompt[node.Id] = new JsonObject { ["class_type"] = node.ClassType, ["inputs"] = node.Inputs.DeepClone() };
        }
        return prompt;
    }

    private string NextId()
    {
        while (_nodes.Any(n => n.Id == _nextId.ToString(CultureInfo.InvariantCulture)))
        {
            _nextId++;
        }
        return (_nextId++).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Edits of an API-format prompt.</summary>
public static class PromptEdits
{
    /// <summary>
    /// Applies <c>NODE.INPUT=VALUE</c>: NODE is a node id (or a unique class_type / <c>_meta.title</c>);
    /// VALUE is parsed as JSON when it is valid JSON, else taken as a string.
    /// </summary>
    public static void Apply(JsonObject prompt, string assignment)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(assignment);
        int eq = assignment.IndexOf('=', StringComparison.Ordinal);
        int dot = eq < 0 ? -1 : assignment.LastIndexOf('.', eq);
        if (eq < 0 || dot <= 0 || dot + 1 >= eq)
        {
            throw new FormatException($"'{assignment}' is not NODE.INPUT=VALUE.");
        }
        string nodeKey = assignment[..dot];
        string input = assignment[(dot + 1)..eq];
        string text = assignment[(eq + 1)..];
        JsonObject node = Find(prompt, nodeKey);
        if (node["inputs"] is not JsonObject inputs)
        {
            node["inputs"] = inputs = [];
        }
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            value = JsonValue.Create(text);
        }
        inputs[input] = value;
    }

    private static JsonObject Find(JsonObject prompt, string key)
    {
        if (prompt[key] is JsonObject byId)
        {
            return byId;
        }
        var matches = prompt.Where(p => p.Value is JsonObject n &&
            (n["class_type"]?.GetValue<string>() == key || n["_meta"]?["title"]?.GetValue<string>() == key)).ToList();
        return matches.Count switch
        {
            1 => (JsonObject)matches[0].Value!,
            0 => throw new KeyNotFoundException($"No node '{key}' in the workflow."),
            _ => throw new KeyNotFoundException($"'{key}' matches {matches.Count} nodes; use the node id."),
        };
    }
}
