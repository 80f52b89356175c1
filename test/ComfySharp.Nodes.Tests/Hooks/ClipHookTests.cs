using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Clip;
using ComfySharp.Nodes.Hooks;
using ComfySharp.Nodes.Lora;
using Xunit;
using static ComfySharp.Nodes.Tests.Hooks.HookTestModels;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Hooks;

/// <summary>SetClipHooks: the hooks' CLIP weights while encoding, the hooks on the encoded conditioning, the CLIP schedule.</summary>
public sealed class ClipHookTests
{
    private const string Prompt = "a photo of a cat";

    private static ConditioningValue Encode(HookTestModels m, object clip) =>
        (ConditioningValue)m.Run(new CLIPTextEncode(), ("text", Prompt), ("clip", clip))[0]!;

    private static ClipModel LoraClip(HookTestModels m, double strength) =>
        (ClipModel)m.Run(new LoraLoader(), ("model", m.Model), ("clip", m.Clip), ("lora_name", "a.safetensors"), ("strength_model", 1.0), ("strength_clip", strength))[1]!;

    private static HookGroup Hooks(HookTestModels m, double strengthClip) =>
        (HookGroup)m.Run(new CreateHookLora(), ("lora_name", "a.safetensors"), ("strength_model", 1.0), ("strength_clip", strengthClip))[0]!;

    private static Tensor Pooled(ConditioningValue c, int i = 0) => (Tensor)c[i].Get(ConditioningKeys.PooledOutput)!;

    [Fact]
    public void Hooked_clip_encodes_like_LoraLoader_and_marks_the_conditioning()
    {
        using var m = new HookTestModels();
        HookGroup hooks = Hooks(m, 0.7);
        var hookedClip = (ClipModel)m.Run(new SetClipHooks(), ("clip", m.Clip), ("apply_to_conds", true), ("schedule_clip", false), ("hooks", hooks))[0]!;
        ConditioningValue hooked = Encode(m, hookedClip);
        ConditioningValue expected = Encode(m, LoraClip(m, 0.7));
        ConditioningValue plain = Encode(m, m.Clip);

        Assert.Single(hooked);
        Assert.True(Same(hooked[0].Embedding, expected[0].Embedding));
        Assert.True(Same(Pooled(hooked), Pooled(expected)));
        Assert.Same(hooks, hooked[0].Get(HookKeys.Hooks));
        Assert.True((plain[0].Embedding - expected[0].Embedding).abs().max().item<float>() > 1e-4);
        Assert.Null(plain[0].Get(HookKeys.Hooks));
        // The CLIP it was given is unchanged, and so are the layer choice and embeddings of the hooked copy.
        Assert.Null(m.Clip.HookSettings);
        Assert.NotNull(hookedClip.WithClipLayer(-1).HookSettings);

        var unmarked = (ClipModel)m.Run(new SetClipHooks(), ("clip", m.Clip), ("apply_to_conds", false), ("schedule_clip", false), ("hooks", hooks))[0]!;
        ConditioningValue encoded = Encode(m, unmarked);
        Assert.Null(encoded[0].Get(HookKeys.Hooks));
        Assert.True(Same(encoded[0].Embedding, expected[0].Embedding));
        Assert.Same(m.Clip, m.Run(new SetClipHooks(), ("clip", m.Clip), ("apply_to_conds", true), ("schedule_clip", false))[0]);
    }

    [Fact]
    public void Scheduled_clip_hooks_encode_once_per_keyframe_range()
    {
        using var m = new HookTestModels();
        var first = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 1.0), ("start_percent", 0.0))[0]!;
        var kf = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 0.0), ("start_percent", 0.5), ("prev_hook_kf", first))[0]!;
        var hooks = (HookGroup)m.Run(new SetHookKeyframes(), ("hooks", Hooks(m, 0.7)), ("hook_kf", kf))[0]!;
        var scheduledClip = (ClipModel)m.Run(new SetClipHooks(), ("clip", m.Clip), ("apply_to_conds", true), ("schedule_clip", true), ("hooks", hooks))[0]!;
        ConditioningValue scheduled = Encode(m, scheduledClip);
        ConditioningValue withLora = Encode(m, LoraClip(m, 0.7));
        ConditioningValue plain = Encode(m, m.Clip);

        Assert.Equal(2, scheduled.Count);
        Assert.Equal(0.0, scheduled[0].Get(HookKeys.ClipStartPercent));
        Assert.Equal(0.5, scheduled[0].Get(HookKeys.ClipEndPercent));
        Assert.Equal(0.5, scheduled[1].Get(HookKeys.ClipStartPercent));
        Assert.Equal(1.0, scheduled[1].Get(HookKeys.ClipEndPercent));
        Assert.True(Same(scheduled[0].Embedding, withLora[0].Embedding));
        Assert.True(Same(scheduled[1].Embedding, plain[0].Embedding));
        Assert.All(scheduled, e => Assert.Same(hooks, e.Get(HookKeys.Hooks)));

        // Without the schedule the keyframes are ignored while encoding (strength_clip alone).
        var unscheduled = (ClipModel)m.Run(new SetClipHooks(), ("clip", m.Clip), ("apply_to_conds", true), ("schedule_clip", false), ("hooks", hooks))[0]!;
        ConditioningValue once = Encode(m, unscheduled);
        Assert.Single(once);
        Assert.True(Same(once[0].Embedding, withLora[0].Embedding));
    }

    [Fact]
    public void The_clip_schedule_splits_at_every_strength_change_of_any_hook()
    {
        var weights = new NoWeights();
        HookKeyframeGroup a = HookKeyframeGroup.Empty.Add(new HookKeyframe(1.0, 0.0)).Add(new HookKeyframe(1.0, 0.2)).Add(new HookKeyframe(0.5, 0.6));
        HookKeyframeGroup b = HookKeyframeGroup.Empty.Add(new HookKeyframe(2.0, 0.0)).Add(new HookKeyframe(3.0, 0.3));
        var group = new HookGroup([new WeightHook(weights, 1, 1).WithKeyframes(a), new WeightHook(weights, 1, 1).WithKeyframes(b), new WeightHook(weights, 1, 1)]);
        var schedule = group.ClipSchedule();

        // a changes at 0.6 only (0.2 keeps its strength), b at 0.3; the third hook has no keyframes.
        Assert.Equal(new[] { (0.0, 0.3), (0.3, 0.6), (0.6, 1.0) }, schedule.Select(s => (s.Start, s.End)));
        Assert.Equal(new[] { 1.0, 1.0, 0.5 }, schedule.Select(s => s.Hooks[0].Keyframe!.Strength));
        Assert.Equal(new[] { 2.0, 3.0, 3.0 }, schedule.Select(s => s.Hooks[1].Keyframe!.Strength));
        Assert.All(schedule, s => Assert.Null(s.Hooks[2].Keyframe));
    }

    private sealed class NoWeights : IHookWeights
    {
        public IReadOnlyList<Diffusion.Models.WeightPatch> ForDiffusionModel(nn.Module network) => [];

        public IReadOnlyList<Diffusion.Models.WeightPatch> ForClip(ClipModel clip) => [];
    }
}
