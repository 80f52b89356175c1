using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Registers the conditioning nodes.</summary>
public static class ConditioningNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<ConditioningCombine>();
        registry.Add<ConditioningAverage>();
        registry.Add<ConditioningConcat>();
        registry.Add<ConditioningSetArea>();
        registry.Add<ConditioningSetAreaPercentage>();
        registry.Add<ConditioningSetMask>();
        registry.Add<ConditioningZeroOut>();
        registry.Add<ConditioningSetTimestepRange>();
        registry.Add<unCLIPConditioning>();
        registry.Add<InstructPixToPixConditioning>();
        registry.Add<InpaintModelConditioning>();
        registry.Add<ConditioningSetAreaStrength>();
        registry.Add<CLIPTextEncodeControlnet>();
    }
}
