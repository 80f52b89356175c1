using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Logic;

/// <summary>Registers the logic and utility nodes.</summary>
public static class LogicNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ComfySwitchNode>();
        registry.Add<CustomCombo>();
    }
}
