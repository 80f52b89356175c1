using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Vae;

/// <summary>Registers the Vae nodes.</summary>
public static class VaeNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<VAEDecode>();
        registry.Add<VAEEncode>();
        registry.Add<VAEDecodeTiled>();
        registry.Add<VAEEncodeTiled>();
    }
}
