using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// How a guider turns the predictions of its conditioning lists into one denoised prediction. The
/// lists are evaluated together by <see cref="CfgGuider"/> (equal-sized entries share network calls);
/// a list that <see cref="Evaluate"/> skips predicts zeros.
/// </summary>
public abstract class GuidanceRule
{
    /// <summary>The conditioning lists, in the order the network batches them (null = none).</summary>
    public abstract IReadOnlyList<Conditioning?> Conds { get; }

    /// <summary>Index of the unconditional list that CFG++ samplers read, or null.</summary>
    public virtual int? UncondIndex => null;

    /// <summary>Index of the list the reference names "negative" (SDXL models encode its ADM vector as a negative prompt), or null.</summary>
    public virtual int? NegativeIndex => null;

    /// <summary>Which lists the model's CFG hooks read as cond and uncond, and whether the CFG function may replace the mix; null = no CFG hooks run.</summary>
    public virtual CfgHookSlots? HookSlots => null;

    /// <summary>The guidance scale the CFG hooks see.</summary>
    public virtual double CondScale => 1.0;

    /// <summary>Which lists to evaluate for this call; <paramref name="needUncond"/> forbids skipping the uncond list.</summary>
    public abstract bool[] Evaluate(bool needUncond);

    /// <summary>The guided prediction from the per-list predictions.</summary>
    public abstract Tensor Combine(Tensor x, Tensor[] predictions);

    /// <summary>True when <paramref name="value"/> is 1 within the reference's isclose tolerance.</summary>
    protected static bool IsOne(double value) => Math.Abs(value - 1.0) <= 1e-9;
}

/// <summary>Classifier-free guidance: uncond + (cond − uncond)·cfg; the uncond pass is skipped at cfg 1.</summary>
public sealed class CfgRule(Conditioning positive, Conditioning negative, double cfg) : GuidanceRule
{
    /// <summary>The guidance scale.</summary>
    public double Cfg { get; } = cfg;

    /// <inheritdoc />
    public override IReadOnlyList<Conditioning?> Conds { get; } = [positive, negative];

    /// <inheritdoc />
    public override int? UncondIndex => 1;

    /// <inheritdoc />
    public override int? NegativeIndex => 1;

    /// <inheritdoc />
    public override CfgHookSlots? HookSlots => new(0, 1, true);

    /// <inheritdoc />
    public override double CondScale => Cfg;

    /// <inheritdoc />
    public override bool[] Evaluate(bool needUncond) => [true, needUncond || !IsOne(Cfg)];

    /// <inheritdoc />
    public override Tensor Combine(Tensor x, Tensor[] predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        Tensor cond = predictions[0], uncond = predictions[1];
        return uncond.Add((cond - uncond).Mul(Cfg));
    }
}

/// <summary>One conditioning, no guidance: the model's prediction for it.</summary>
public sealed class BasicRule(Conditioning conditioning) : GuidanceRule
{
    /// <inheritdoc />
    public override IReadOnlyList<Conditioning?> Conds { get; } = [conditioning];

    /// <inheritdoc />
    public override CfgHookSlots? HookSlots => new(0, null, true);

    /// <inheritdoc />
    public override bool[] Evaluate(bool needUncond) => [true];

    /// <inheritdoc />
    public override Tensor Combine(Tensor x, Tensor[] predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return predictions[0].alias();
    }
}

/// <summary>
/// Guidance with two positive conditionings (the reference's DualCFGGuider). Regular:
/// neg + (c2 − neg)·cfg2 + (c1 − c2)·cfg1. Nested: neg + ((c2 + (c1 − c2)·cfg1) − neg)·cfg2.
/// </summary>
public sealed class DualCfgRule(Conditioning cond1, Conditioning cond2, Conditioning negative, double cfgConds, double cfgCond2Negative, bool nested) : GuidanceRule
{
    private const int Negative = 0, Middle = 1, Positive = 2;

    /// <inheritdoc />
    public override IReadOnlyList<Conditioning?> Conds { get; } = [negative, cond2, cond1];

    /// <inheritdoc />
    public override int? UncondIndex => Negative;

    /// <inheritdoc />
    public override int? NegativeIndex => Negative;

    /// <inheritdoc />
    public override bool[] Evaluate(bool needUncond)
    {
        if (nested || needUncond)
        {
            return [true, true, true];
        }
        bool skipNegative = IsOne(cfgCond2Negative);
        return [!skipNegative, !(skipNegative && IsOne(cfgConds)), true];
    }

    /// <inheritdoc />
    public override Tensor Combine(Tensor x, Tensor[] predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        Tensor neg = predictions[Negative], middle = predictions[Middle], pos = predictions[Positive];
        if (nested)
        {
            Tensor text = middle.Add((pos - middle).Mul(cfgConds));
            return neg.Add((text - neg).Mul(cfgCond2Negative));
        }
        return neg.Add((middle - neg).Mul(cfgCond2Negative)).Add((pos - middle).Mul(cfgConds));
    }
}

/// <summary>
/// Perpendicular negative guidance: the negative direction (relative to the empty prompt) loses its
/// component along the positive direction before it is subtracted with weight <c>neg_scale</c>.
/// </summary>
public sealed class PerpNegRule(Conditioning positive, Conditioning negative, Conditioning empty, double cfg, double negScale) : GuidanceRule
{
    /// <inheritdoc />
    public override IReadOnlyList<Conditioning?> Conds { get; } = [positive, negative, empty];

    /// <inheritdoc />
    public override CfgHookSlots? HookSlots => new(0, 1, false);

    /// <inheritdoc />
    public override double CondScale => cfg;

    /// <inheritdoc />
    public override int? NegativeIndex => 1;

    /// <inheritdoc />
    public override bool[] Evaluate(bool needUncond) => [true, true, true];

    /// <inheritdoc />
    public override Tensor Combine(Tensor x, Tensor[] predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return Mix(predictions[0], predictions[1], predictions[2], cfg, negScale);
    }

    /// <summary>nocond + cfg·(pos − neg_scale·perp), pos and neg taken relative to <paramref name="nocond"/>, perp = neg minus its projection on pos.</summary>
    public static Tensor Mix(Tensor positive, Tensor negative, Tensor nocond, double cfg, double negScale)
    {
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negative);
        ArgumentNullException.ThrowIfNull(nocond);
        Tensor pos = positive - nocond;
        Tensor neg = negative - nocond;
        Tensor projection = (neg * pos).sum() / pos.norm().square();
        Tensor perp = neg - (projection * pos);
        return nocond.Add((pos - perp.Mul(negScale)).Mul(cfg));
    }
}

/// <summary>The lists a guidance rule hands to the model's CFG hooks.</summary>
/// <param name="Cond">Index of the positive list.</param>
/// <param name="Uncond">Index of the negative list, or null (its prediction is then zeros).</param>
/// <param name="CfgFunction">Whether a sampler CFG function replaces the rule's mix (plain CFG and the basic guider).</param>
public readonly record struct CfgHookSlots(int Cond, int? Uncond, bool CfgFunction);

/// <summary>The GUIDER value: a model and the rule that guides its predictions.</summary>
/// <param name="Model">The model with its patches.</param>
/// <param name="Rule">The guidance rule with its conditioning.</param>
public sealed record Guider(ModelPatcher Model, GuidanceRule Rule);
