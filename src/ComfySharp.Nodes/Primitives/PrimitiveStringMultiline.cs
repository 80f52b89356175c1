using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>A multi-line string typed in the graph.</summary>
public sealed class PrimitiveStringMultiline : ComfyNode
{
    /// <summary>The value.</summary>
    public static readonly StringInput Value = new("value") { Multiline = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PrimitiveStringMultiline",
        DisplayName = "String (Multiline)",
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
