using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Mask;

/// <summary>Registers the mask nodes.</summary>
public static class MaskNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
