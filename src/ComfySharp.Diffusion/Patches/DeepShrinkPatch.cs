using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Images;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Kohya's Deep Shrink (PatchModelAddDownscale): while σ lies in [σ_end, σ_start], the hidden state after
/// input block <c>block_number</c> is downscaled; output blocks scale it back up to their skip connection's size.
/// </summary>
public static class DeepShrinkPatch
{
    /// <summary>The hooks of a model patched with Deep Shrink.</summary>
    public static ModelOptions Apply(ModelOptions options, int blockNumber, double downscaleFactor, double sigmaStart, double sigmaEnd, bool afterSkip, string downscaleMethod, string upscaleMethod)
    {
        ArgumentNullException.ThrowIfNull(options);
        InputBlockPatch input = (h, hooks) =>
        {
            if (hooks.Block.Index != blockNumber || hooks.Block.Kind != "input")
            {
                return h;
            }
            double sigma = hooks.Sigma[0].item<float>();
            if (sigma > sigmaStart || sigma < sigmaEnd)
            {
                return h;
            }
            long width = (long)Math.Round(h.shape[^1] * (1.0 / downscaleFactor), MidpointRounding.ToEven);
            long height = (long)Math.Round(h.shape[^2] * (1.0 / downscaleFactor), MidpointRounding.ToEven);
            return Resampling.CommonUpscale(h, Math.Max(1, width), Math.Max(1, height), downscaleMethod, "disabled");
        };
        OutputBlockPatch output = (h, skip, _) => h.shape[2] != skip.shape[2]
            ? (Resampling.CommonUpscale(h, skip.shape[^1], skip.shape[^2], upscaleMethod, "disabled"), skip)
            : (h, skip);
        return afterSkip
            ? options with { InputBlockPatchesAfterSkip = [.. options.InputBlockPatchesAfterSkip, input], OutputBlockPatches = [.. options.OutputBlockPatches, output] }
            : options with { InputBlockPatches = [.. options.InputBlockPatches, input], OutputBlockPatches = [.. options.OutputBlockPatches, output] };
    }
}
