using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Loaders;

/// <summary>Registers the loaders nodes.</summary>
public static class LoaderNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<CheckpointLoaderSimple>();
        registry.Add<CheckpointLoader>();
        registry.Add<VAELoader>();
        registry.Add<UNETLoader>();
        registry.Add<unCLIPCheckpointLoader>();
        registry.Add<HypernetworkLoader>();
    }
}
