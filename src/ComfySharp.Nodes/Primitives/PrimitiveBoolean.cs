using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>A boolean typed in the graph.</summary>
public sealed class PrimitiveBoolean : ComfyNode
{
    /// <summary>The value.</summary>
    public static readonly BooleanInput Value = new("value");

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PrimitiveBoolean",
        DisplayName = "Boolean",
        Category = "utils/primitive",
        PythonModule = "comfy_extras.nodes_primitive",
        Flavor = NodeFlavor.Schema,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
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
