using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Lora;

/// <summary>Registers the Lora nodes.</summary>
public static class LoraNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<LoraLoader>();
        registry.Add<LoraLoaderModelOnly>();
    }
}
