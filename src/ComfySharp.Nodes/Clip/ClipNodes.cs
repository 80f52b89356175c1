using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Clip;

/// <summary>Registers the Clip nodes.</summary>
public static class ClipNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<CLIPTextEncode>();
        registry.Add<CLIPSetLastLayer>();
        registry.Add<CLIPLoader>();
        registry.Add<CLIPTextEncodeSDXL>();
        registry.Add<CLIPTextEncodeSDXLRefiner>();
        registry.Add<DualCLIPLoader>();
    }
}
