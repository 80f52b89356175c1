using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>A one-line string typed in the graph.</summary>
public sealed class PrimitiveString : ComfyNode
{
    /// <summary>The value.</summary>
    public static readonly StringInput Value = new("value") { ExtraOptions = new System.Text.Json.Nodes.JsonObject { ["multiline"] = false } };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PrimitiveString",
        DisplayName = "String",
        Category = "utils/primitive",
        PythonModule = "comfy_extras.nodes_primitive",
        Flavor = NodeFlavor.Schema,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.STRING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value)));
    }
}
