using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ClipVision;

/// <summary>Registers the CLIP vision nodes.</summary>
public static class ClipVisionNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<CLIPVisionLoader>();
        registry.Add<CLIPVisionEncode>();
    }
}
