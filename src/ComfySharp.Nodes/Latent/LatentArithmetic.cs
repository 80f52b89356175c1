using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Latent;

/// <summary>Shared pieces of the latent/advanced arithmetic nodes (the reference's comfy_extras.nodes_latent).</summary>
internal static class LatentArithmetic
{
    public const string Category = "latent/advanced";
    public const string Module = "comfy_extras.nodes_latent";

    public static NodeSchema Schema(string classType, IReadOnlyList<InputSpec> required) => new()
    {
        ClassType = classType,
        Category = Category,
        PythonModule = Module,
        Flavor = NodeFlavor.Schema,
        Required = required,
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <summary>
    /// <paramref name="other"/> brought to <paramref name="target"/>'s shape: resized (bilinear) when its
    /// spatial size differs with the same aspect, and repeated or cut to the target's batch size.
    /// </summary>
    public static Tensor ReshapeTo(Tensor target, Tensor other)
    {
        if (other.dim() != target.dim() || other.shape[1] != target.shape[1])
        {
            throw new InvalidOperationException($"Latents of shapes [{string.Join(", ", target.shape)}] and [{string.Join(", ", other.shape)}] cannot be combined (different channels).");
        }
        if (!other.shape.AsSpan(2).SequenceEqual(target.shape.AsSpan(2)))
        {
            if (other.dim() != 4 || other.shape[2] * target.shape[3] != other.shape[3] * target.shape[2])
            {
                throw new NotSupportedException("Combining latents of different aspect ratios is not supported.");
            }
            other = nn.functional.interpolate(other, [target.shape[2], target.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        return CfgGuider.RepeatToBatch(other, target.shape[0]);
    }
}
