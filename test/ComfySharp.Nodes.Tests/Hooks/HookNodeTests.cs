using ComfySharp.Diffusion.Hooks;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Hooks;
using Xunit;
using static ComfySharp.Nodes.Tests.Hooks.HookTestModels;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Hooks;

/// <summary>The hook nodes' values: keyframes, combining, conditioning properties, ranges.</summary>
public sealed class HookNodeTests
{
    private static double[] Strengths(HookKeyframeGroup g) => [.. g.Keyframes.Select(k => k.Strength)];

    private static double[] Starts(HookKeyframeGroup g) => [.. g.Keyframes.Select(k => k.StartPercent)];

    [Fact]
    public void Keyframes_are_ordered_by_start_keeping_insertion_order_for_equal_starts()
    {
        using var m = new HookTestModels();
        var a = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 2.0), ("start_percent", 0.6))[0]!;
        var b = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 3.0), ("start_percent", 0.2), ("prev_hook_kf", a))[0]!;
        var c = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 4.0), ("start_percent", 0.6), ("prev_hook_kf", b))[0]!;

        Assert.Equal(new[] { 3.0, 2.0, 4.0 }, Strengths(c));
        Assert.Equal(new[] { 0.2, 0.6, 0.6 }, Starts(c));
        Assert.Single(a.Keyframes);
        Assert.All(c.Keyframes, k => Assert.Equal(1, k.GuaranteeSteps));
    }

    [Fact]
    public void Interpolated_keyframes_follow_the_easing_curves()
    {
        using var m = new HookTestModels();
        (string, object?)[] Inputs(string method) =>
        [
            ("strength_start", 0.0), ("strength_end", 2.0), ("interpolation", method), ("start_percent", 0.2), ("end_percent", 0.6),
            ("keyframes_count", 5L), ("print_keyframes", false),
        ];
        var linear = (HookKeyframeGroup)m.Run(new CreateHookKeyframesInterpolated(), Inputs("linear"))[0]!;
        var easeIn = (HookKeyframeGroup)m.Run(new CreateHookKeyframesInterpolated(), Inputs("ease_in"))[0]!;
        var easeOut = (HookKeyframeGroup)m.Run(new CreateHookKeyframesInterpolated(), Inputs("ease_out"))[0]!;
        var easeInOut = (HookKeyframeGroup)m.Run(new CreateHookKeyframesInterpolated(), Inputs("ease_in_out"))[0]!;

        double[] t = [0, 0.25, 0.5, 0.75, 1];
        Assert.Equal(new[] { 0.2, 0.3, 0.4, 0.5, 0.6 }, Starts(linear), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(t.Select(v => 2 * v), Strengths(linear), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(t.Select(v => 2 * v * v), Strengths(easeIn), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(t.Select(v => 2 * (1 - ((1 - v) * (1 - v)))), Strengths(easeOut), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(t.Select(v => 2 * (1 - Math.Cos(v * Math.PI)) / 2), Strengths(easeInOut), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(new[] { 1, 0, 0, 0, 0 }, linear.Keyframes.Select(k => k.GuaranteeSteps));
    }

    [Fact]
    public void Keyframes_from_floats_spread_their_starts_evenly()
    {
        using var m = new HookTestModels();
        var kf = (HookKeyframeGroup)m.Run(new CreateHookKeyframesFromFloats(), ("floats_strength", new List<object> { 0.5, 1.0, 1.5 }),
            ("start_percent", 0.0), ("end_percent", 1.0), ("print_keyframes", false))[0]!;
        Assert.Equal(new[] { 0.5, 1.0, 1.5 }, Strengths(kf));
        Assert.Equal(new[] { 0.0, 0.5, 1.0 }, Starts(kf));
        var one = (HookKeyframeGroup)m.Run(new CreateHookKeyframesFromFloats(), ("floats_strength", 0.25), ("start_percent", 0.3), ("end_percent", 1.0), ("print_keyframes", false))[0]!;
        Assert.Equal(new[] { 0.25 }, Strengths(one));
        Assert.Equal(new[] { 0.3 }, Starts(one), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Throws<InvalidOperationException>(() => m.Run(new CreateHookKeyframesFromFloats(), ("floats_strength", "text"), ("start_percent", 0.0), ("end_percent", 1.0), ("print_keyframes", false)));
    }

    [Fact]
    public void The_cursor_switches_keyframes_as_sigma_falls_and_honours_guaranteed_steps()
    {
        static double ToSigma(double p) => p <= 0 ? 999999999.9 : 10 * (1 - p);
        HookKeyframeGroup Group(int guarantee) => HookKeyframeGroup.Empty
            .Add(new HookKeyframe(1.0, 0.0))
            .Add(new HookKeyframe(2.0, 0.3, guarantee))
            .Add(new HookKeyframe(3.0, 0.35, 0));
        double[] sigmas = [10, 8, 6.4, 5, 2];
        double[] Trace(HookKeyframeGroup g)
        {
            var cursor = new HookKeyframeCursor(g, ToSigma, 10);
            return [.. sigmas.Select(s =>
            {
                cursor.Prepare(s);
                cursor.Prepare(s); // the same σ again changes nothing
                return cursor.Strength;
            })];
        }

        // Start σ: 2nd keyframe 7, 3rd 6.5 (both passed at σ 6.4); the 1st starts before the run and guarantees nothing.
        // With a guaranteed step the 2nd keyframe holds at 6.4; without one the cursor runs on to the 3rd.
        Assert.Equal(new[] { 1.0, 1.0, 2.0, 3.0, 3.0 }, Trace(Group(1)));
        Assert.Equal(new[] { 1.0, 1.0, 2.0, 2.0, 3.0 }, Trace(Group(2)));
        Assert.Equal(new[] { 1.0, 1.0, 3.0, 3.0, 3.0 }, Trace(Group(0)));
        var empty = new HookKeyframeCursor(HookKeyframeGroup.Empty, ToSigma, 10);
        empty.Prepare(5);
        Assert.Equal(1.0, empty.Strength);
    }

    [Fact]
    public void Combine_nodes_take_the_union_of_the_connected_groups()
    {
        using var m = new HookTestModels();
        var a = (HookGroup)m.Run(new CreateHookLora(), ("lora_name", "a.safetensors"), ("strength_model", 1.0), ("strength_clip", 1.0))[0]!;
        var b = (HookGroup)m.Run(new CreateHookLoraModelOnly(), ("lora_name", "b.safetensors"), ("strength_model", 0.5))[0]!;
        var chained = (HookGroup)m.Run(new CreateHookLoraModelOnly(), ("lora_name", "b.safetensors"), ("strength_model", 0.5), ("prev_hooks", a))[0]!;

        var four = (HookGroup)m.Run(new CombineHooks4(), ("hooks_A", a), ("hooks_B", a), ("hooks_D", b))[0]!;
        Assert.Equal(2, four.Hooks.Count);
        Assert.Same(a.Hooks[0].Identity, four.Hooks[0].Identity);
        Assert.Same(b.Hooks[0].Identity, four.Hooks[1].Identity);
        Assert.Equal(2, chained.Hooks.Count);
        Assert.Equal(0.0, chained.Hooks[1].StrengthClip);
        Assert.Same(a, m.Run(new CombineHooks2(), ("hooks_B", a))[0]);
        Assert.Null(m.Run(new CombineHooks8())[0]);

        // Hooks whose keyframes were replaced are still the same hooks.
        var kf = HookKeyframeGroup.Empty.Add(new HookKeyframe(0.5));
        var scheduled = (HookGroup)m.Run(new SetHookKeyframes(), ("hooks", a), ("hook_kf", kf))[0]!;
        Assert.Same(kf, scheduled.Hooks[0].Keyframes);
        Assert.Single(((HookGroup)m.Run(new CombineHooks2(), ("hooks_A", a), ("hooks_B", scheduled))[0]!).Hooks);
        Assert.Same(a, m.Run(new SetHookKeyframes(), ("hooks", a))[0]);

        // Both strengths 0: the previous hooks come back without reading the file.
        var none = (HookGroup)m.Run(new CreateHookLora(), ("lora_name", "missing.safetensors"), ("strength_model", 0.0), ("strength_clip", 0.0), ("prev_hooks", b))[0]!;
        Assert.Same(b, none);
    }

    [Fact]
    public void Set_properties_sets_hooks_mask_and_range_and_combines_hooks_once_per_pair()
    {
        using var m = new HookTestModels();
        var a = (HookGroup)m.Run(new CreateHookLoraModelOnly(), ("lora_name", "a.safetensors"), ("strength_model", 1.0))[0]!;
        var b = (HookGroup)m.Run(new CreateHookLoraModelOnly(), ("lora_name", "b.safetensors"), ("strength_model", 1.0))[0]!;
        object?[] ranges = m.Run(new ConditioningTimestepsRange(), ("start_percent", 0.25), ("end_percent", 0.75));
        Assert.Equal(new TimestepsRange(0.25, 0.75), ranges[0]);
        Assert.Equal(new TimestepsRange(0.0, 0.25), ranges[1]);
        Assert.Equal(new TimestepsRange(0.75, 1.0), ranges[2]);

        object?[] first = m.Run(new PairConditioningSetProperties(), ("positive_NEW", Cond(1)), ("negative_NEW", Cond(2)), ("strength", 0.5),
            ("set_cond_area", "default"), ("hooks", a), ("timesteps", ranges[0]));
        var positive = (ConditioningValue)first[0]!;
        Assert.Same(a, positive[0].Get(HookKeys.Hooks));
        Assert.Equal(0.25, positive[0].Get(ConditioningKeys.StartPercent));
        Assert.Equal(0.75, positive[0].Get(ConditioningKeys.EndPercent));
        Assert.Null(positive[0].Get(ConditioningKeys.MaskStrength));

        object?[] second = m.Run(new PairConditioningSetPropertiesAndCombine(), ("positive", Cond(5)), ("negative", Cond(6)), ("positive_NEW", first[0]),
            ("negative_NEW", first[1]), ("strength", 0.5), ("set_cond_area", "mask bounds"), ("hooks", b), ("mask", ones(8, 8)));
        var pos2 = (ConditioningValue)second[0]!;
        var neg2 = (ConditioningValue)second[1]!;
        Assert.Equal(2, pos2.Count);
        Assert.Null(pos2[0].Get(HookKeys.Hooks));
        var combined = Assert.IsType<HookGroup>(pos2[1].Get(HookKeys.Hooks));
        Assert.Equal(2, combined.Hooks.Count);
        Assert.Same(combined, neg2[1].Get(HookKeys.Hooks));
        Assert.Equal(0.5, pos2[1].Get(ConditioningKeys.MaskStrength));
        Assert.Equal(true, pos2[1].Get(ConditioningKeys.SetAreaToBounds));
        Assert.Equal([1, 8, 8], ((Tensor)pos2[1].Get(ConditioningKeys.Mask)!).shape);

        var single = (ConditioningValue)m.Run(new ConditioningSetPropertiesAndCombine(), ("cond", Cond(1)), ("cond_NEW", Cond(2)), ("strength", 1.0), ("set_cond_area", "default"))[0]!;
        Assert.Equal(2, single.Count);
        Assert.Null(single[1].Get(HookKeys.Hooks));

        object?[] defaults = m.Run(new PairConditioningSetDefaultCombine(), ("positive", Cond(1)), ("negative", Cond(2)), ("positive_DEFAULT", Cond(3)),
            ("negative_DEFAULT", Cond(4)), ("hooks", a));
        Assert.All(defaults.Cast<ConditioningValue>(), c =>
        {
            Assert.Equal(2, c.Count);
            Assert.Null(c[0].Get(HookKeys.Default));
            Assert.Equal(true, c[1].Get(HookKeys.Default));
            Assert.Same(a, c[1].Get(HookKeys.Hooks));
        });
    }

    [Fact]
    public void Hook_nodes_are_registered()
    {
        var registry = new Abstractions.NodeRegistry();
        new CoreNodes().Register(registry);
        foreach (string name in new[]
        {
            "CreateHookLora", "CreateHookLoraModelOnly", "CreateHookModelAsLora", "CreateHookModelAsLoraModelOnly", "CreateHookKeyframe",
            "CreateHookKeyframesInterpolated", "CreateHookKeyframesFromFloats", "SetHookKeyframes", "CombineHooks2", "CombineHooks4", "CombineHooks8",
            "SetClipHooks", "ConditioningSetProperties", "ConditioningSetPropertiesAndCombine", "PairConditioningSetProperties",
            "PairConditioningSetPropertiesAndCombine", "PairConditioningSetDefaultCombine", "PairConditioningCombine", "ConditioningSetDefaultCombine",
            "ConditioningTimestepsRange",
        })
        {
            Assert.True(registry.Contains(name), name);
        }
    }
}
