using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Euler ancestral with its η and noise scale.</summary>
public sealed class SamplerEulerAncestral : ComfyNode
{
    /// <summary>Scale of the noise added back per step (0 = deterministic).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 100.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerEulerAncestral", CustomSampling.Samplers, [Eta, SNoise], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("euler_ancestral", (c, x, s) => KDiffusionSamplers.EulerAncestral(c, x, s, eta, sNoise))));
    }
}
