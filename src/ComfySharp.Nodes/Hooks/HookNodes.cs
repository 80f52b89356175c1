using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Registers the hook nodes (scheduled LoRA and model weights per conditioning).</summary>
public static class HookNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<CreateHookLora>();
        registry.Add<CreateHookLoraModelOnly>();
        registry.Add<CreateHookModelAsLora>();
        registry.Add<CreateHookModelAsLoraModelOnly>();
        registry.Add<CreateHookKeyframe>();
        registry.Add<CreateHookKeyframesInterpolated>();
        registry.Add<CreateHookKeyframesFromFloats>();
        registry.Add<SetHookKeyframes>();
        registry.Add<CombineHooks2>();
        registry.Add<CombineHooks4>();
        registry.Add<CombineHooks8>();
        registry.Add<SetClipHooks>();
        registry.Add<ConditioningSetProperties>();
        registry.Add<ConditioningSetPropertiesAndCombine>();
        registry.Add<PairConditioningSetProperties>();
        registry.Add<PairConditioningSetPropertiesAndCombine>();
        registry.Add<PairConditioningSetDefaultCombine>();
        registry.Add<PairConditioningCombine>();
        registry.Add<ConditioningSetDefaultCombine>();
        registry.Add<ConditioningTimestepsRange>();
    }
}
