using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.StyleModel;

/// <summary>Registers the style-model nodes.</summary>
public static class StyleModelNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<StyleModelLoader>();
        registry.Add<StyleModelApply>();
    }
}
