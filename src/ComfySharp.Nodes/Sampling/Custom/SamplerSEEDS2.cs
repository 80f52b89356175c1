using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>SEEDS-2 with its solver, η, noise scale and step ratio r.</summary>
public sealed class SamplerSEEDS2 : ComfyNode
{
    /// <summary>phi_1 or phi_2 solver.</summary>
    public static readonly ComboInput SolverType = new("solver_type", ["phi_1", "phi_2"]);
    /// <summary>Scale of the noise added back per step (0 = deterministic).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 100.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);
    /// <summary>Where the intermediate point lies between σ and σ_next (in log σ).</summary>
    public static readonly FloatInput R = CustomSampling.SigmaFloat("r", 0.5, min: 0.01, max: 1.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerSEEDS2", CustomSampling.Samplers, [SolverType, Eta, SNoise, R], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise), r = (float)inputs.Get(R);
        bool phi2 = inputs.Get(SolverType) == "phi_2";
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("seeds_2", (c, x, s) => KDiffusionSamplers.Seeds2(c, x, s, eta, sNoise, r, phi2))));
    }
}
