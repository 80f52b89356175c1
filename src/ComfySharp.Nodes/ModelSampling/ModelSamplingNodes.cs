using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelSampling;

/// <summary>Registers the ModelSampling* nodes (advanced/model).</summary>
public static class ModelSamplingNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ModelSamplingDiscrete>();
        registry.Add<ModelSamplingContinuousEDM>();
        registry.Add<ModelSamplingContinuousV>();
    }
}
