using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Mask;

/// <summary>Grows (dilates) or shrinks (erodes) a mask by |expand| pixels with a 3×3 square or cross neighbourhood.</summary>
public sealed class GrowMask : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);
    /// <summary>Pixels to grow (positive) or shrink (negative).</summary>
    public static readonly IntInput Expand = new("expand") { Default = 0, Min = -16384, Max = 16384, Step = 1 };
    /// <summary>Use the cross-shaped neighbourhood (rounder corners).</summary>
    public static readonly BooleanInput TaperedCorners = new("tapered_corners") { Default = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "GrowMask",
        DisplayName = "Grow Mask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Mask, Expand, TaperedCorners],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        long expand = inputs.Get(Expand);
        bool tapered = inputs.Get(TaperedCorners);
        using var scope = NewDisposeScope();
        Tensor output = ImageTensors.AsMaskBatch(inputs.Get(Mask)).to(ScalarType.Float32).clone();
        long h = output.shape[1], w = output.shape[2];
        // Each step moves values by at most one pixel, so after h + w steps (more than any distance inside the
        // mask, in either neighbourhood) every pixel holds the extreme of the whole mask and nothing changes:
        // the result of a larger expand is identical.
        long steps = Math.Min(Math.Abs(expand), h + w);
        for (long i = 0; i < steps; i++)
        {
            context.ThrowIfInterrupted();
            using var step = NewDisposeScope();
            // Out-of-image neighbours never win: the border mirrors the edge pixel, which is already in the window.
            double fill = expand > 0 ? double.NegativeInfinity : double.PositiveInfinity;
            Tensor padded = F.pad(output, [1, 1, 1, 1], value: fill);
            Tensor result = output.clone();
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    if (tapered && dx != 0 && dy != 0)
                    {
                        continue;
                    }
                    Tensor shifted = padded.narrow(1, 1 + dy, h).narrow(2, 1 + dx, w);
                    result = expand > 0 ? maximum(result, shifted) : minimum(result, shifted);
                }
            }
            output = result.MoveToOuterDisposeScope();
        }
        return ValueTask.FromResult(NodeOutput.Of(output.MoveToOuterDisposeScope()));
    }
}
