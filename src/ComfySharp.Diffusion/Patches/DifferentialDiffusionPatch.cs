using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Differential diffusion (Levin &amp; Fried 2023): a soft inpainting mask becomes a per-step binary mask —
/// a pixel is resampled once the progress through the schedule (in timesteps) reaches its mask value —
/// blended with the soft mask when strength is below 1.
/// </summary>
public static class DifferentialDiffusionPatch
{
    /// <summary>The denoise-mask function for <paramref name="strength"/>.</summary>
    public static DenoiseMaskFunction Create(double strength) => (sigma, mask, step) =>
    {
        var sampling = step.Sampling;
        double sigmaTo = Math.Max(sampling.SigmaMin, step.Sigmas[^1]);
        double sigmaFrom = step.Sigmas[0];
        double tsFrom = sampling.TimestepOf((float)sigmaFrom);
        double tsTo = sampling.TimestepOf((float)sigmaTo);
        double current = sampling.TimestepOf(sigma[0].item<float>());
        double threshold = (current - tsTo) / (tsFrom - tsTo);
        Tensor binary = mask.ge(ScalarMath.Full([], threshold, ScalarType.Float32)).to_type(mask.dtype);
        return strength > 0 && strength < 1 ? binary.Mul(strength).Add(mask.Mul(1 - strength)) : binary;
    };
}
