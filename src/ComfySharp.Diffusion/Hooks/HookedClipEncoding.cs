using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Hooks;

/// <summary>
/// Text encoding with the hooks SetClipHooks put on a CLIP (the reference's <c>encode_from_tokens_scheduled</c>):
/// without a schedule, one entry encoded with every hook's CLIP weights at its CLIP strength; with a schedule, one entry
/// per range of the hooks' CLIP schedule, encoded at that range's keyframe strengths and limited to the range by
/// <c>clip_start_percent</c>/<c>clip_end_percent</c>. With <see cref="ClipHookSettings.ApplyToConds"/> each entry
/// carries the hooks, so their model weights apply while it is sampled.
/// </summary>
public static class HookedClipEncoding
{
    /// <summary>Encodes <paramref name="tokens"/> into a CONDITIONING; <paramref name="extra"/> options are added to every entry.</summary>
    public static Conditioning Encode(ClipModel clip, TokenizedPrompt tokens, IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(tokens);
        extra ??= new Dictionary<string, object?>();
        ClipHookSettings? settings = clip.HookSettings;
        var result = new Conditioning();
        if (settings is null || !settings.Schedule)
        {
            ClipModel patched = settings is null ? clip : WithHookWeights(clip, settings.Hooks.Hooks.Select(h => (h, h.StrengthClip)));
            var options = Options(patched, tokens, out Tensor cond);
            if (settings is { ApplyToConds: true })
            {
                options[HookKeys.Hooks] = settings.Hooks;
            }
            Merge(options, extra);
            result.Add(new ConditioningEntry(cond, options));
            return result;
        }
        foreach (var (start, end, hooks) in settings.Hooks.ClipSchedule())
        {
            // Ranges outside the entry's own timestep range would never be sampled.
            if (extra.TryGetValue(ConditioningKeys.StartPercent, out object? s) && s is not null && end < Convert.ToDouble(s, System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }
            if (extra.TryGetValue(ConditioningKeys.EndPercent, out object? e) && e is not null && start > Convert.ToDouble(e, System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }
            ClipModel patched = WithHookWeights(clip, hooks.Select(h => (h.Hook, h.Hook.StrengthClip * (h.Keyframe?.Strength ?? 1.0))));
            var options = Options(patched, tokens, out Tensor cond);
            options[HookKeys.ClipStartPercent] = start;
            options[HookKeys.ClipEndPercent] = end;
            Merge(options, extra);
            if (settings.ApplyToConds)
            {
                options[HookKeys.Hooks] = settings.Hooks;
            }
            result.Add(new ConditioningEntry(cond, options));
        }
        return result;
    }

    /// <summary>The CLIP with the hooks' CLIP weights added at the given strengths (zero strengths add nothing).</summary>
    public static ClipModel WithHookWeights(ClipModel clip, IEnumerable<(WeightHook Hook, double Strength)> hooks)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(hooks);
        var patches = new List<WeightPatch>();
        foreach (var (hook, strength) in hooks)
        {
            if (strength == 0)
            {
                continue;
            }
            patches.AddRange(hook.Weights.ForClip(clip).Select(p => p with { Strength = p.Strength * strength }));
        }
        return patches.Count == 0 ? clip : clip.WithPatches(patches);
    }

    private static Dictionary<string, object?> Options(ClipModel clip, TokenizedPrompt tokens, out Tensor cond)
    {
        using var scope = NewDisposeScope();
        (Tensor c, Tensor pooled) = clip.EncodeTokens(tokens);
        cond = c.MoveToOuterDisposeScope();
        return new Dictionary<string, object?>(StringComparer.Ordinal) { [ConditioningKeys.PooledOutput] = pooled.MoveToOuterDisposeScope() };
    }

    private static void Merge(Dictionary<string, object?> options, IReadOnlyDictionary<string, object?> extra)
    {
        foreach (var (key, value) in extra)
        {
            options[key] = value;
        }
    }
}
