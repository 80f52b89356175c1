using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Returns mask[:, y : y + height, x : x + width], clipped at the border.</summary>
public sealed class CropMask : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);
    /// <summary>Left edge.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Top edge.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Width.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Height.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CropMask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Mask, X, Y, Width, Height],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor mask = ImageTensors.AsMaskBatch(inputs.Get(Mask));
        long x = inputs.Get(X), y = inputs.Get(Y);
        Tensor rows = PySlice.Slice(mask, 1, y, y + inputs.Get(Height));
        Tensor result = PySlice.Slice(rows, 2, x, x + inputs.Get(Width)).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
