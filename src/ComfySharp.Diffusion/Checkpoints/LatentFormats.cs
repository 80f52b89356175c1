using ComfySharp.Diffusion.Models;

namespace ComfySharp.Diffusion.Checkpoints;

/// <summary>Latent constants of the supported model families (the reference's <c>latent_formats</c>).</summary>
public static class LatentFormats
{
    /// <summary>SD1.x and SD2.x: 4 channels, scale 0.18215, RGB preview factors without bias.</summary>
    public static LatentFormat Sd15 { get; } = new(4, 0.18215,
    [
        [0.3512, 0.2297, 0.3227],
        [0.3250, 0.4974, 0.2350],
        [-0.2829, 0.1762, 0.2721],
        [-0.2120, -0.2616, -0.7177],
    ], null)
    { TaesdDecoderName = "taesd_decoder" };

    /// <summary>SDXL: 4 channels, scale 0.13025, RGB preview factors with bias.</summary>
    public static LatentFormat Sdxl { get; } = new(4, 0.13025,
    [
        [0.3651, 0.4232, 0.4341],
        [-0.2533, -0.0042, 0.1068],
        [0.1076, 0.1111, -0.0362],
        [-0.3165, -0.2492, -0.2188],
    ], [0.1084, -0.0175, -0.0011])
    { TaesdDecoderName = "taesdxl_decoder" };
}
