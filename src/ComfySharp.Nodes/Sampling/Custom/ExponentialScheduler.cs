using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>σ values evenly spaced in log σ from σmax to σmin, then 0.</summary>
public sealed class ExponentialScheduler : ComfyNode
{
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>Largest σ.</summary>
    public static readonly FloatInput SigmaMax = CustomSampling.SigmaFloat("sigma_max", 14.614642);
    /// <summary>Smallest σ before the final 0.</summary>
    public static readonly FloatInput SigmaMin = CustomSampling.SigmaFloat("sigma_min", 0.0291675);

    private static readonly NodeSchema Definition = CustomSampling.Schema("ExponentialScheduler", CustomSampling.Schedulers, [Steps, SigmaMax, SigmaMin], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = Schedulers.Exponential((int)inputs.Get(Steps), inputs.Get(SigmaMin), inputs.Get(SigmaMax));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
