using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Latent;

/// <summary>Registers the latent nodes.</summary>
public static class LatentNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
