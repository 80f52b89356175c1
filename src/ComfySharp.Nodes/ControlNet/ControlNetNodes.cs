using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>Registers the ControlNet loaders and apply nodes.</summary>
public static class ControlNetNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ControlNetLoader>();
        registry.Add<DiffControlNetLoader>();
        registry.Add<ControlNetApply>();
        registry.Add<ControlNetApplyAdvanced>();
        registry.Add<SetUnionControlNetType>();
    }
}
