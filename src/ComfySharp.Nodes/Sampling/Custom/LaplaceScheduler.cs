using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>σ values from the inverse Laplace CDF (location μ, scale β), clamped to [σmin, σmax]; no final 0, as in the reference.</summary>
public sealed class LaplaceScheduler : ComfyNode
{
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>Largest σ.</summary>
    public static readonly FloatInput SigmaMax = CustomSampling.SigmaFloat("sigma_max", 14.614642);
    /// <summary>Smallest σ.</summary>
    public static readonly FloatInput SigmaMin = CustomSampling.SigmaFloat("sigma_min", 0.0291675);
    /// <summary>Location μ of the distribution in log σ.</summary>
    public static readonly FloatInput Mu = CustomSampling.SigmaFloat("mu", 0.0, min: -10.0, max: 10.0, step: 0.1);
    /// <summary>Scale β of the distribution.</summary>
    public static readonly FloatInput Beta = CustomSampling.SigmaFloat("beta", 0.5, max: 10.0, step: 0.1);

    private static readonly NodeSchema Definition = CustomSampling.Schema("LaplaceScheduler", CustomSampling.Schedulers, [Steps, SigmaMax, SigmaMin, Mu, Beta], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.Laplace((int)inputs.Get(Steps), inputs.Get(SigmaMin), inputs.Get(SigmaMax), inputs.Get(Mu), inputs.Get(Beta));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
