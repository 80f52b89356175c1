using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>A floating-point number typed in the graph.</summary>
public sealed class PrimitiveFloat : ComfyNode
{
    /// <summary>The value.</summary>
    // The reference serves these bounds as the integers ±(2⁶³ − 1); a double would print 9.223372036854776e+18.
    public static readonly FloatInput Value = new("value")
    {
        Step = 0.1, ExtraOptions = new System.Text.Json.Nodes.JsonObject { ["min"] = -long.MaxValue, ["max"] = long.MaxValue },
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PrimitiveFloat",
        DisplayName = "Float",
        Category = "utils/primitive",
        PythonModule = "comfy_extras.nodes_primitive",
        Flavor = NodeFlavor.Schema,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.FLOAT)],
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
