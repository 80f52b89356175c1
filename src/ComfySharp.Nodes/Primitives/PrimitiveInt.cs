using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>An integer typed in the graph.</summary>
public sealed class PrimitiveInt : ComfyNode
{
    /// <summary>The value.</summary>
    public static readonly IntInput Value = new("value") { Min = -long.MaxValue, Max = long.MaxValue, ControlAfterGenerate = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PrimitiveInt",
        DisplayName = "Int",
        Category = "utils/primitive",
        PythonModule = "comfy_extras.nodes_primitive",
        Flavor = NodeFlavor.Schema,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.INT)],
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
