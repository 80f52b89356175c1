using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The continuous variance-preserving σ schedule (β_d, β_min, ε_s), then 0.</summary>
public sealed class VPScheduler : ComfyNode
{
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>β_d.</summary>
    public static readonly FloatInput BetaD = CustomSampling.SigmaFloat("beta_d", 19.9);
    /// <summary>β_min.</summary>
    public static readonly FloatInput BetaMin = CustomSampling.SigmaFloat("beta_min", 0.1);
    /// <summary>The end time ε_s.</summary>
    public static readonly FloatInput EpsS = CustomSampling.SigmaFloat("eps_s", 0.001, max: 1.0, step: 0.0001);

    private static readonly NodeSchema Definition = CustomSampling.Schema("VPScheduler", CustomSampling.Schedulers, [Steps, BetaD, BetaMin, EpsS], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.VariancePreserving((int)inputs.Get(Steps), inputs.Get(BetaD), inputs.Get(BetaMin), inputs.Get(EpsS));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
