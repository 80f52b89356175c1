using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Image;

/// <summary>Registers the image nodes.</summary>
public static class ImageNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
