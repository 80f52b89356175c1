using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Euler ancestral CFG++ with its η and noise scale.</summary>
public sealed class SamplerEulerAncestralCFGPP : ComfyNode
{
    /// <summary>Scale of the noise added back per step.</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 1.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 10.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerEulerAncestralCFGPP", CustomSampling.Samplers, [Eta, SNoise], IOTypes.SAMPLER) with { DisplayName = "SamplerEulerAncestralCFG++" };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("euler_ancestral_cfg_pp", (c, x, s) => KDiffusionSamplers.EulerAncestralCfgPp(c, x, s, eta, sNoise), needsUncond: true)));
    }
}
