using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Cuts one latent axis into pieces of <c>slice_size</c> and stacks the pieces along the batch (each
/// item's pieces in order); a tail shorter than a piece is dropped. A latent without that axis (t of an
/// image latent, which would be the channels) is returned unchanged. Mask and batch indices are kept.
/// </summary>
public sealed class LatentCutToBatch : ComfyNode
{
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT);
    /// <summary>The axis to cut: the third-from-last axis (t), width (x) or height (y).</summary>
    public static readonly ComboInput Dim = new("dim", ["t", "x", "y"]);
    /// <summary>Length of each piece (clamped to the axis length).</summary>
    public static readonly IntInput SliceSize = new("slice_size") { Default = 1, Min = 1, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentCutToBatch",
        Category = "latent/advanced",
        PythonModule = "comfy_extras.nodes_latent",
        Flavor = NodeFlavor.Schema,
        Required = [Samples, Dim, SliceSize],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        Tensor samples = latent.Samples;
        long axis = samples.dim() + LatentAxes.FromEnd(inputs.Get(Dim));
        if (axis < 2)
        {
            // Batch and channel axes are never cut: the reference returns such latents as they are.
            return ValueTask.FromResult(NodeOutput.Of(latent));
        }
        long length = samples.shape[axis], slice = inputs.Get(SliceSize);
        if (length == 0 || slice < 1)
        {
            throw new NodeException("ValueError",
                $"LatentCutToBatch cannot cut axis '{inputs.Get(Dim)}' of a latent of shape {ImageTensors.ShapeText(samples)} into pieces of {slice}.");
        }
        slice = Math.Min(slice, length);
        using var scope = NewDisposeScope();
        Tensor moved = samples.movedim([axis], [1]);
        long kept = length / slice * slice;
        if (kept != length)
        {
            moved = moved.narrow(1, 0, kept);
        }
        long[] pieces = [-1, slice, .. moved.shape[2..]];
        Tensor batched = moved.reshape(pieces).movedim([1], [axis]).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = batched.MoveToOuterDisposeScope() }));
    }
}
