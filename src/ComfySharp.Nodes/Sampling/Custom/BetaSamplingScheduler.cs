using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The beta scheduler with its α and β exposed.</summary>
public sealed class BetaSamplingScheduler : ComfyNode
{
    /// <summary>The model whose noise schedule is used.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>α of the beta distribution.</summary>
    public static readonly FloatInput Alpha = CustomSampling.SigmaFloat("alpha", 0.6, max: 50.0);
    /// <summary>β of the beta distribution.</summary>
    public static readonly FloatInput Beta = CustomSampling.SigmaFloat("beta", 0.6, max: 50.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("BetaSamplingScheduler", CustomSampling.Schedulers, [Model, Steps, Alpha, Beta], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = Schedulers.Beta(CustomSampling.SamplingOf(inputs.Get(Model)), (int)inputs.Get(Steps), inputs.Get(Alpha), inputs.Get(Beta));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
