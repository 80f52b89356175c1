using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The k-diffusion family samplers on a denoiser (x, σ) → x0, written after the published
/// algorithms as the reference runs them (default parameters, float32 σ arithmetic). Each takes
/// the already noise-scaled starting latent and the σ list and returns the final latent.
/// </summary>
public static partial class KDiffusionSamplers
{
    private static Tensor ToD(Tensor x, float sigma, Tensor denoised) => (x - denoised).Div(sigma);
}
