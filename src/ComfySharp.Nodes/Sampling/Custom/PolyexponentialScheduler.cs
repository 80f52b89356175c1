using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>σ values polynomial (degree ρ) in log σ from σmax to σmin, then 0.</summary>
public sealed class PolyexponentialScheduler : ComfyNode
{
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>Largest σ.</summary>
    public static readonly FloatInput SigmaMax = CustomSampling.SigmaFloat("sigma_max", 14.614642);
    /// <summary>Smallest σ before the final 0.</summary>
    public static readonly FloatInput SigmaMin = CustomSampling.SigmaFloat("sigma_min", 0.0291675);
    /// <summary>The polynomial degree ρ.</summary>
    public static readonly FloatInput Rho = CustomSampling.SigmaFloat("rho", 1.0, max: 100.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("PolyexponentialScheduler", CustomSampling.Schedulers, [Steps, SigmaMax, SigmaMin, Rho], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.Polyexponential((int)inputs.Get(Steps), inputs.Get(SigmaMin), inputs.Get(SigmaMax), inputs.Get(Rho));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
