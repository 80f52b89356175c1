using ComfySharp.Diffusion.Hooks;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// The conditioning operations of the hook nodes (the reference's <c>set_conds_props</c>,
/// <c>set_conds_props_and_combine</c>, <c>set_default_conds_and_combine</c>, <c>combine_with_new_conds</c>).
/// </summary>
internal static class HookConditioning
{
    /// <summary>What ConditioningSetProperties sets; the strength applies only with a mask (as its mask strength).</summary>
    public sealed record Properties(double Strength, string SetCondArea, Tensor? Mask, HookGroup? Hooks, TimestepsRange? Range);

    /// <summary>Each conditioning with the properties set.</summary>
    public static ConditioningValue[] SetProperties(IReadOnlyList<ConditioningValue> conds, Properties props)
    {
        var cache = new Dictionary<(HookGroup, HookGroup), HookGroup>();
        return [.. conds.Select(c => WithRange(WithMask(WithHooks(c, props.Hooks, cache), props), props.Range))];
    }

    /// <summary>Each conditioning followed by its new counterpart with the properties set.</summary>
    public static ConditioningValue[] SetPropertiesAndCombine(IReadOnlyList<ConditioningValue> conds, IReadOnlyList<ConditioningValue> newConds, Properties props)
    {
        ConditioningValue[] prepared = SetProperties(newConds, props);
        return [.. conds.Select((c, i) => Concat(c, prepared[i]))];
    }

    /// <summary>Each conditioning followed by its new counterpart marked as a default entry (with the hooks added).</summary>
    public static ConditioningValue[] SetDefaultAndCombine(IReadOnlyList<ConditioningValue> conds, IReadOnlyList<ConditioningValue> newConds, HookGroup? hooks)
    {
        var cache = new Dictionary<(HookGroup, HookGroup), HookGroup>();
        return [.. conds.Select((c, i) => Concat(c, Set(WithHooks(newConds[i], hooks, cache), HookKeys.Default, true)))];
    }

    /// <summary>The entries of both conditionings, in order.</summary>
    public static ConditioningValue Concat(ConditioningValue first, ConditioningValue second) => new([.. first, .. second]);

    /// <summary>
    /// Adds <paramref name="hooks"/> to every entry: set where the entry has none, otherwise combined with the entry's
    /// own (one combined group per distinct pair, so entries that shared a group still share one).
    /// </summary>
    public static ConditioningValue WithHooks(ConditioningValue cond, HookGroup? hooks, Dictionary<(HookGroup, HookGroup), HookGroup> cache)
    {
        if (hooks is null)
        {
            return cond;
        }
        return new ConditioningValue(cond.Select(e =>
        {
            if (e.Get(HookKeys.Hooks) is not HookGroup existing)
            {
                return e.With(HookKeys.Hooks, hooks);
            }
            if (!cache.TryGetValue((existing, hooks), out HookGroup? combined))
            {
                cache[(existing, hooks)] = combined = existing.Combine(hooks);
            }
            return e.With(HookKeys.Hooks, combined);
        }));
    }

    private static ConditioningValue WithMask(ConditioningValue cond, Properties props)
    {
        if (props.Mask is not { } mask)
        {
            return cond;
        }
        if (mask.dim() < 3)
        {
            mask = mask.unsqueeze(0).DetachFromDisposeScope();
        }
        bool toBounds = props.SetCondArea != "default";
        return new ConditioningValue(cond.Select(e => e
            .With(ConditioningKeys.Mask, mask)
            .With(ConditioningKeys.SetAreaToBounds, toBounds)
            .With(ConditioningKeys.MaskStrength, props.Strength)));
    }

    private static ConditioningValue WithRange(ConditioningValue cond, TimestepsRange? range) =>
        range is null ? cond : new ConditioningValue(cond.Select(e => e
            .With(ConditioningKeys.StartPercent, range.Start)
            .With(ConditioningKeys.EndPercent, range.End)));

    private static ConditioningValue Set(ConditioningValue cond, string key, object? value) => new(cond.Select(e => e.With(key, value)));
}
