using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Upscaling;

/// <summary>Registers the upscale-model nodes and the pixel-count resizers (image/upscaling).</summary>
public static class UpscalingNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<UpscaleModelLoader>();
        registry.Add<ImageUpscaleWithModel>();
        registry.Add<ImageScaleToTotalPixels>();
        registry.Add<ImageScaleToMaxDimension>();
    }
}
