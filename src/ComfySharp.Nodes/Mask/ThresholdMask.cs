using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Returns 1 where mask > value, else 0.</summary>
public sealed class ThresholdMask : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);
    /// <summary>The threshold.</summary>
    public static readonly FloatInput Value = new("value") { Default = 0.5, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ThresholdMask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Mask, Value],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor result = inputs.Get(Mask).Gt(inputs.Get(Value)).to(ScalarType.Float32);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
