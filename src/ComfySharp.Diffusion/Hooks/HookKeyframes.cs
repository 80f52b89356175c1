using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Hooks;

/// <summary>
/// One point of a hook's strength schedule (the reference's <c>HookKeyframe</c>): from <paramref name="StartPercent"/>
/// of the sampling schedule on, the hook's strengths are multiplied by <paramref name="Strength"/>.
/// </summary>
/// <param name="Strength">Multiplier of the hook's model and CLIP strengths.</param>
/// <param name="StartPercent">Fraction of the schedule (0 = first step) where the keyframe may take over.</param>
/// <param name="GuaranteeSteps">Steps the keyframe stays current once reached, even when later keyframes already apply.</param>
public sealed record HookKeyframe(double Strength, double StartPercent = 0.0, int GuaranteeSteps = 1);

/// <summary>
/// The HOOK_KEYFRAMES value: keyframes ordered by start percent, equal starts kept in insertion order (the
/// reference's <c>HookKeyframeGroup</c>). Immutable: adding returns a new group. The schedule state during sampling
/// lives in <see cref="HookKeyframeCursor"/>, one per group object and sampling run.
/// </summary>
public sealed class HookKeyframeGroup
{
    /// <summary>A group without keyframes (the hook's strength stays 1).</summary>
    public static readonly HookKeyframeGroup Empty = new([]);

    private HookKeyframeGroup(IReadOnlyList<HookKeyframe> keyframes) => Keyframes = keyframes;

    /// <summary>The keyframes, ordered by <see cref="HookKeyframe.StartPercent"/> (stable).</summary>
    public IReadOnlyList<HookKeyframe> Keyframes { get; }

    /// <summary>A new group with <paramref name="keyframe"/> added at its place in the order.</summary>
    public HookKeyframeGroup Add(HookKeyframe keyframe)
    {
        ArgumentNullException.ThrowIfNull(keyframe);
        // OrderBy is stable, as the reference's grouping sort: equal starts keep their relative order.
        return new HookKeyframeGroup([.. Keyframes.Append(keyframe).OrderBy(k => k.StartPercent)]);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"HookKeyframeGroup({string.Join(", ", Keyframes.Select(k => FormattableString.Invariant($"{k.StartPercent}:{k.Strength}")))})";
}

/// <summary>
/// Where a keyframe group stands during one sampling run (the reference's <c>prepare_current_keyframe</c>): the first
/// keyframe is current at the start; at each new σ, once the current keyframe has had its guaranteed steps, the cursor
/// moves to the last following keyframe whose start σ is at or above the current σ (stopping early at one with
/// guaranteed steps).
/// </summary>
public sealed class HookKeyframeCursor
{
    private readonly IReadOnlyList<HookKeyframe> _keyframes;
    private readonly double[] _startSigmas;
    private readonly double _maxSigma;
    private int _index;
    private int _usedSteps;
    private double _currentSigma = -1.0;

    /// <summary>Starts at the first keyframe; <paramref name="percentToSigma"/> maps start percents, <paramref name="maxSigma"/> is the run's largest σ.</summary>
    public HookKeyframeCursor(HookKeyframeGroup group, Func<double, double> percentToSigma, double maxSigma)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(percentToSigma);
        _keyframes = group.Keyframes;
        _startSigmas = [.. _keyframes.Select(k => percentToSigma(k.StartPercent))];
        _maxSigma = maxSigma;
    }

    /// <summary>The current keyframe's strength, 1 without keyframes.</summary>
    public double Strength => _keyframes.Count == 0 ? 1.0 : _keyframes[_index].Strength;

    /// <summary>Advances to σ <paramref name="sigma"/>; calling again with the same σ changes nothing.</summary>
    public void Prepare(double sigma)
    {
        if (_keyframes.Count == 0 || sigma == _currentSigma)
        {
            return;
        }
        if (_usedSteps >= EffectiveGuarantee(_index))
        {
            for (int i = _index + 1; i < _keyframes.Count; i++)
            {
                // σ falls as sampling proceeds: a keyframe applies once the current σ is at or below its start σ.
                if (_startSigmas[i] < sigma)
                {
                    break;
                }
                _index = i;
                _usedSteps = 0;
                if (EffectiveGuarantee(i) > 0)
                {
                    break;
                }
            }
        }
        _usedSteps++;
        _currentSigma = sigma;
    }

    /// <summary>A keyframe that starts before the sampled range (above its largest σ) guarantees nothing.</summary>
    private int EffectiveGuarantee(int index) => _startSigmas[index] > _maxSigma ? 0 : _keyframes[index].GuaranteeSteps;
}

/// <summary>The interpolations of CreateHookKeyframesInterpolated (the reference's <c>InterpolationMethod</c>).</summary>
public static class HookInterpolation
{
    /// <summary>The method names, in the reference's order.</summary>
    public static readonly IReadOnlyList<string> Methods = ["linear", "ease_in", "ease_out", "ease_in_out"];

    /// <summary>
    /// <paramref name="length"/> values from <paramref name="from"/> to <paramref name="to"/>, computed in float32 as the
    /// reference does: linear = linspace; with t = linspace(0, 1): ease_in = d·t² + from, ease_out = d·(1 − (1 − t)²) + from,
    /// ease_in_out = d·(1 − cos(π·t))/2 + from, where d = to − from.
    /// </summary>
    public static double[] Weights(double from, double to, int length, string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (length < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "At least one value is needed.");
        }
        using var scope = NewDisposeScope();
        double diff = to - from;
        Tensor result = method switch
        {
            "linear" => linspace(from, to, length, ScalarType.Float32),
            "ease_in" => Unit(length).Pow(2).Mul(diff).Add(from),
            "ease_out" => Unit(length).RSub(1.0).Pow(2).RSub(1.0).Mul(diff).Add(from),
            "ease_in_out" => Unit(length).Mul(Math.PI).cos().RSub(1.0).Div(2.0).Mul(diff).Add(from),
            _ => throw new ArgumentException($"Unknown interpolation method '{method}'; expected one of {string.Join(", ", Methods)}.", nameof(method)),
        };
        return [.. result.to_type(ScalarType.Float32).data<float>().Select(v => (double)v)];
    }

    private static Tensor Unit(int length) => linspace(0.0, 1.0, length, ScalarType.Float32);
}
