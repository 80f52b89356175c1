using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Primitives;

/// <summary>Registers the primitive value nodes.</summary>
public static class PrimitiveNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<PrimitiveString>();
        registry.Add<PrimitiveStringMultiline>();
        registry.Add<PrimitiveInt>();
        registry.Add<PrimitiveFloat>();
        registry.Add<PrimitiveBoolean>();
        registry.Add<PreviewAny>();
    }
}
