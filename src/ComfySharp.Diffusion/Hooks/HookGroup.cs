using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Hooks;

/// <summary>Conditioning option keys of the hooks system (the reference's names).</summary>
public static class HookKeys
{
    /// <summary>The entry's <see cref="HookGroup"/>: its weight hooks apply to the diffusion model while the entry is evaluated.</summary>
    public const string Hooks = "hooks";
    /// <summary>Marks a default entry: it fills whatever its list's other entries leave uncovered (any non-null value).</summary>
    public const string Default = "default";
    /// <summary>Start of the CLIP schedule range an entry was encoded for (double).</summary>
    public const string ClipStartPercent = "clip_start_percent";
    /// <summary>End of the CLIP schedule range an entry was encoded for (double).</summary>
    public const string ClipEndPercent = "clip_end_percent";
}

/// <summary>
/// The weights a hook adds, mapped onto a concrete network: unit-strength patches (strength = the LoRA's
/// alpha / rank scale) whose <see cref="WeightPatch.ComputeDelta"/> is given the parameter's unpatched weight.
/// </summary>
public interface IHookWeights
{
    /// <summary>Patches for the diffusion network's parameters (names as in its module).</summary>
    IReadOnlyList<WeightPatch> ForDiffusionModel(nn.Module network);

    /// <summary>Patches for a CLIP's parameters (keys as <see cref="ClipModel.Patches"/> uses them).</summary>
    IReadOnlyList<WeightPatch> ForClip(ClipModel clip);
}

/// <summary>
/// A weight hook (the reference's <c>WeightHook</c>): weights added to the diffusion model at
/// <see cref="StrengthModel"/> and to CLIP at <see cref="StrengthClip"/>, both multiplied by the current keyframe's
/// strength. Hooks made from one another by <see cref="WithKeyframes"/> share <see cref="Identity"/> and count as the
/// same hook when groups are combined.
/// </summary>
public sealed class WeightHook
{
    /// <summary>A new hook with its own identity and no keyframes.</summary>
    public WeightHook(IHookWeights weights, double strengthModel, double strengthClip)
        : this(weights, strengthModel, strengthClip, HookKeyframeGroup.Empty, new object())
    {
    }

    private WeightHook(IHookWeights weights, double strengthModel, double strengthClip, HookKeyframeGroup keyframes, object identity)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Weights = weights;
        StrengthModel = strengthModel;
        StrengthClip = strengthClip;
        Keyframes = keyframes;
        Identity = identity;
    }

    /// <summary>What the hook adds.</summary>
    public IHookWeights Weights { get; }

    /// <summary>Strength on the diffusion model (before the keyframe multiplier).</summary>
    public double StrengthModel { get; }

    /// <summary>Strength on CLIP (before the keyframe multiplier).</summary>
    public double StrengthClip { get; }

    /// <summary>The strength schedule.</summary>
    public HookKeyframeGroup Keyframes { get; }

    /// <summary>The identity shared by copies of this hook (the reference's <c>hook_ref</c>).</summary>
    public object Identity { get; }

    /// <summary>The same hook with another schedule.</summary>
    public WeightHook WithKeyframes(HookKeyframeGroup keyframes) =>
        new(Weights, StrengthModel, StrengthClip, keyframes ?? HookKeyframeGroup.Empty, Identity);
}

/// <summary>
/// The HOOKS value (the reference's <c>HookGroup</c>): hooks without duplicates (by identity), in the order added.
/// Immutable. During sampling, entries whose groups are the same object are evaluated together.
/// </summary>
public sealed class HookGroup
{
    /// <summary>A group of the given hooks (duplicates dropped).</summary>
    public HookGroup(IEnumerable<WeightHook> hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        var list = new List<WeightHook>();
        foreach (WeightHook hook in hooks)
        {
            if (!list.Any(h => ReferenceEquals(h.Identity, hook.Identity)))
            {
                list.Add(hook);
            }
        }
        Hooks = list;
    }

    /// <summary>The hooks.</summary>
    public IReadOnlyList<WeightHook> Hooks { get; }

    /// <summary>This group's hooks followed by those of <paramref name="other"/> not in it (clone_and_combine).</summary>
    public HookGroup Combine(HookGroup? other) => new(other is null ? Hooks : Hooks.Concat(other.Hooks));

    /// <summary>Every hook with <paramref name="keyframes"/> as its schedule (one shared schedule; null clears it).</summary>
    public HookGroup WithKeyframes(HookKeyframeGroup? keyframes) => new(Hooks.Select(h => h.WithKeyframes(keyframes ?? HookKeyframeGroup.Empty)));

    /// <summary>
    /// The union of the non-null groups (combine_all_hooks): null when there are none, the group itself when there is one.
    /// </summary>
    public static HookGroup? CombineAll(IEnumerable<HookGroup?> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        HookGroup[] actual = [.. groups.OfType<HookGroup>()];
        return actual.Length switch
        {
            0 => null,
            1 => actual[0],
            _ => new HookGroup(actual.SelectMany(g => g.Hooks)),
        };
    }

    /// <summary>
    /// The CLIP schedule (get_hooks_for_clip_schedule): the percent ranges between every hook's strength changes, each
    /// with the keyframe current for every hook in it (null = no keyframes, strength 1).
    /// </summary>
    public IReadOnlyList<(double Start, double End, IReadOnlyList<(WeightHook Hook, HookKeyframe? Keyframe)> Hooks)> ClipSchedule()
    {
        var perHook = new List<(WeightHook Hook, List<(double Start, double End, HookKeyframe? Keyframe)> Ranges)>();
        foreach (WeightHook hook in Hooks)
        {
            var ranges = new List<(double, double, HookKeyframe?)>();
            IReadOnlyList<HookKeyframe> kfs = hook.Keyframes.Keyframes;
            if (kfs.Count == 0)
            {
                ranges.Add((0.0, 1.0, null));
                perHook.Add((hook, ranges));
                continue;
            }
            HookKeyframe previous = kfs[0];
            foreach (HookKeyframe kf in kfs)
            {
                if (kf.StartPercent > previous.StartPercent && !IsClose(kf.Strength, previous.Strength))
                {
                    ranges.Add((previous.StartPercent, kf.StartPercent, previous));
                    previous = kf;
                }
                else if (kf.StartPercent == previous.StartPercent)
                {
                    previous = kf;
                }
            }
            if (!IsClose(previous.StartPercent, 1.0))
            {
                ranges.Add((previous.StartPercent, 1.0, previous));
            }
            perHook.Add((hook, ranges));
        }
        var bounds = new SortedSet<double> { 0.0 };
        foreach (var (_, ranges) in perHook)
        {
            foreach (var (start, end, _) in ranges)
            {
                bounds.Add(start);
                bounds.Add(end);
            }
        }
        double[] sorted = [.. bounds];
        var result = new List<(double, double, IReadOnlyList<(WeightHook, HookKeyframe?)>)>();
        for (int i = 0; i + 1 < sorted.Length; i++)
        {
            double start = sorted[i], end = sorted[i + 1];
            var current = new List<(WeightHook, HookKeyframe?)>();
            foreach (var (hook, ranges) in perHook)
            {
                HookKeyframe? keyframe = null;
                foreach (var (rs, re, kf) in ranges)
                {
                    if (rs < end && re > start)
                    {
                        keyframe = kf;
                        break;
                    }
                }
                current.Add((hook, keyframe));
            }
            result.Add((start, end, current));
        }
        return result;
    }

    /// <summary>math.isclose with its default relative tolerance.</summary>
    private static bool IsClose(double a, double b) => a == b || Math.Abs(a - b) <= 1e-9 * Math.Max(Math.Abs(a), Math.Abs(b));

    /// <inheritdoc />
    public override string ToString() => $"HookGroup({Hooks.Count} hooks)";
}

/// <summary>
/// What SetClipHooks puts on a CLIP: the hooks whose CLIP weights apply while it encodes, whether the encoded entries
/// carry the hooks, and whether the encoding follows the hooks' keyframe schedule.
/// </summary>
/// <param name="Hooks">The hooks.</param>
/// <param name="ApplyToConds">Encoded entries get <see cref="HookKeys.Hooks"/> set to <paramref name="Hooks"/>.</param>
/// <param name="Schedule">Encode once per range of the CLIP schedule instead of once with the keyframes ignored.</param>
public sealed record ClipHookSettings(HookGroup Hooks, bool ApplyToConds, bool Schedule);
