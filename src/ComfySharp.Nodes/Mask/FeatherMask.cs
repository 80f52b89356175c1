using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>
/// Fades the mask's outer columns/rows with linear ramps. The right/bottom ramps reproduce the
/// reference's indexing from the end with −i: step 0 hits the first column/row, so the last one gets
/// factor 2/right (2/bottom) and the first one is scaled too.
/// </summary>
public sealed class FeatherMask : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);
    /// <summary>Columns faded on the left.</summary>
    public static readonly IntInput Left = new("left") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Rows faded on top.</summary>
    public static readonly IntInput Top = new("top") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Columns faded on the right.</summary>
    public static readonly IntInput Right = new("right") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Rows faded at the bottom.</summary>
    public static readonly IntInput Bottom = new("bottom") { Default = 0, Min = 0, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "FeatherMask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Mask, Left, Top, Right, Bottom],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor output = ImageTensors.AsMaskBatch(inputs.Get(Mask)).clone();
        long h = output.shape[1], w = output.shape[2];
        long left = Math.Min(inputs.Get(Left), w), right = Math.Min(inputs.Get(Right), w);
        long top = Math.Min(inputs.Get(Top), h), bottom = Math.Min(inputs.Get(Bottom), h);
        for (long x = 0; x < left; x++)
        {
            output.narrow(2, x, 1).MulInPlace((x + 1.0) / left);
        }
        for (long x = 0; x < right; x++)
        {
            output.narrow(2, FromEnd(x, w), 1).MulInPlace((x + 1.0) / right);
        }
        for (long y = 0; y < top; y++)
        {
            output.narrow(1, y, 1).MulInPlace((y + 1.0) / top);
        }
        for (long y = 0; y < bottom; y++)
        {
            output.narrow(1, FromEnd(y, h), 1).MulInPlace((y + 1.0) / bottom);
        }
        return ValueTask.FromResult(NodeOutput.Of(output.MoveToOuterDisposeScope()));
    }

    // Python's index -i: 0 for i = 0, otherwise counted from the end.
    private static long FromEnd(long i, long length) => i == 0 ? 0 : length - i;
}
