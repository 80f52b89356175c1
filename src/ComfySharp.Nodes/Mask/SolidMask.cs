using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Returns a [1, height, width] mask filled with one value.</summary>
public sealed class SolidMask : ComfyNode
{
    /// <summary>The fill value.</summary>
    public static readonly FloatInput Value = new("value") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };
    /// <summary>Width.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Height.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SolidMask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Value, Width, Height],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "SolidMask", 1, inputs.Get(Height), inputs.Get(Width));
        Tensor result = ScalarMath.Full([1L, inputs.Get(Height), inputs.Get(Width)], inputs.Get(Value), ScalarType.Float32);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
