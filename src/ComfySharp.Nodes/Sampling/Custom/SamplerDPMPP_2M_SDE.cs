using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>DPM++ 2M SDE with its solver type, η and noise scale.</summary>
public sealed class SamplerDPMPP_2M_SDE : ComfyNode
{
    /// <summary>The second-order correction: midpoint or Heun.</summary>
    public static readonly ComboInput SolverType = new("solver_type", ["midpoint", "heun"]);
    /// <summary>Scale of the noise added back per step (0 = deterministic).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 100.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);
    /// <summary>Where the noise is drawn (both are the CPU generator here, as on a CPU-only reference).</summary>
    public static readonly ComboInput NoiseDevice = new("noise_device", ["gpu", "cpu"]);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerDPMPP_2M_SDE", CustomSampling.Samplers, [SolverType, Eta, SNoise, NoiseDevice], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise);
        bool heun = inputs.Get(SolverType) == "heun";
        string name = inputs.Get(NoiseDevice) == "cpu" ? "dpmpp_2m_sde" : "dpmpp_2m_sde_gpu";
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler(name, (c, x, s) => KDiffusionSamplers.Dpmpp2MSde(c, x, s, heun, eta, sNoise))));
    }
}
