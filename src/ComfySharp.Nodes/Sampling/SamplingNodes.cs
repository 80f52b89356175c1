using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling;

/// <summary>Registers the sampling nodes.</summary>
public static class SamplingNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<KSampler>();
        registry.Add<KSamplerAdvanced>();
        registry.Add<VAEEncodeForInpaint>();
    }
}
