using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Gligen;

/// <summary>Registers the GLIGEN nodes.</summary>
public static class GligenNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<GLIGENLoader>();
        registry.Add<GLIGENTextBoxApply>();
    }
}
