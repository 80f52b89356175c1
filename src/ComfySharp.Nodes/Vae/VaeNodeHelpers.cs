using static TorchSharp.torch;

namespace ComfySharp.Nodes.Vae;

/// <summary>Small shared steps of the VAE nodes.</summary>
internal static class VaeNodeHelpers
{
    /// <summary>Video latents [B, C, T, H, W] are decoded frame by frame as a batch [B·T, C, H, W].</summary>
    public static Tensor FlattenVideo(Tensor samples) =>
        samples.dim() == 5
            ? samples.permute(0, 2, 1, 3, 4).reshape(-1, samples.shape[1], samples.shape[3], samples.shape[4])
            : samples;
}
