using System.Globalization;
using ComfySharp.Diffusion.Hooks;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The hook side of <see cref="CfgGuider"/> (the reference's <c>_calc_cond_batch</c> grouping and
/// <c>finalize_default_conds</c>): active entries are grouped by their hook group (in order of first appearance, entries
/// without hooks forming one group), each group is evaluated with its hooks' weights added to the network, and default
/// entries take whatever weight their list's other entries leave uncovered.
/// </summary>
public sealed partial class CfgGuider
{
    private HookRun? _hookRun;

    /// <summary>The largest σ of the run (keyframes that start before it guarantee no steps); +∞ when unknown.</summary>
    public double MaxSampleSigma { get; init; } = double.PositiveInfinity;

    /// <summary>A parameter's weight before the model's own patches, by name (null = the current weight is the original).</summary>
    public Func<string, Tensor?>? OriginalWeight { get; init; }

    private HookRun HookRunFor() => _hookRun ??= new HookRun(_network.Module, _sampling.PercentToSigma, MaxSampleSigma, OriginalWeight);

    private List<(HookGroup? Hooks, List<(AreaInput Input, int Which)> ToRun)> Groups(IReadOnlyList<List<PreparedCond>> conds, Tensor x, float sigma0, bool[] evaluate)
    {
        var groups = new List<(HookGroup? Hooks, List<(AreaInput Input, int Which)> ToRun)>();
        List<(AreaInput Input, int Which)> GroupFor(HookGroup? hooks)
        {
            foreach (var group in groups)
            {
                if (ReferenceEquals(group.Hooks, hooks))
                {
                    return group.ToRun;
                }
            }
            var added = new List<(AreaInput Input, int Which)>();
            groups.Add((hooks, added));
            return added;
        }
        void Add(PreparedCond c, AreaInput input, int which)
        {
            if (c.Hooks is { } hooks)
            {
                HookRunFor().Prepare(hooks, sigma0);
            }
            GroupFor(c.Hooks).Add((input, which));
        }
        var defaults = new List<PreparedCond>?[conds.Count];
        for (int which = 0; which < conds.Count; which++)
        {
            if (!evaluate[which])
            {
                continue;
            }
            foreach (PreparedCond c in conds[which])
            {
                if (c.IsDefault)
                {
                    (defaults[which] ??= []).Add(c);
                    continue;
                }
                if (c.AreaAndMult(x, sigma0) is { } input)
                {
                    Add(c, input, which);
                }
            }
        }
        for (int which = 0; which < conds.Count; which++)
        {
            if (defaults[which] is not { } list)
            {
                continue;
            }
            // What the list's other entries leave of weight 1, never below 0.
            Tensor mult = ones_like(x);
            foreach (var (_, toRun) in groups)
            {
                foreach (var (input, owner) in toRun)
                {
                    if (owner == which)
                    {
                        long[] a = input.Area;
                        mult.narrow(2, a[2], a[0]).narrow(3, a[3], a[1]).AddScaledInPlace(input.Mult, -1.0);
                    }
                }
            }
            mult.relu_();
            if (mult.max().item<float>() == 0f)
            {
                continue;
            }
            foreach (PreparedCond c in list)
            {
                if (c.AreaAndMult(x, sigma0) is not { } input)
                {
                    continue;
                }
                long[] a = input.Area;
                Add(c, input with { Mult = mult.narrow(2, a[2], a[0]).narrow(3, a[3], a[1]) }, which);
            }
        }
        return groups;
    }

    /// <summary>
    /// The σ range of an entry: its start/end percents, or for an entry of a scheduled CLIP encoding the intersection of
    /// those with its CLIP range (calculate_start_end_timesteps).
    /// </summary>
    private static (double? Start, double? End) SigmaRange(ConditioningEntry entry, ModelSamplingDiscrete sampling)
    {
        object? start = entry.Get(ConditioningKeys.StartPercent), end = entry.Get(ConditioningKeys.EndPercent);
        if (entry.Get(HookKeys.ClipStartPercent) is { } clipStart)
        {
            double clipEnd = entry.Get(HookKeys.ClipEndPercent) is { } ce ? ToDouble(ce) : 1.0;
            return (sampling.PercentToSigma(Math.Max(ToDouble(clipStart), start is null ? 0.0 : ToDouble(start))),
                sampling.PercentToSigma(Math.Min(clipEnd, end is null ? 1.0 : ToDouble(end))));
        }
        return (start is null ? null : sampling.PercentToSigma(ToDouble(start)), end is null ? null : sampling.PercentToSigma(ToDouble(end)));
    }

    private static double ToDouble(object value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);
}
