using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>DPM++ SDE with its η, noise scale and step ratio r.</summary>
public sealed class SamplerDPMPP_SDE : ComfyNode
{
    /// <summary>Scale of the noise added back per step (0 = deterministic).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 100.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);
    /// <summary>Where the intermediate point lies between σ and σ_next (in log σ).</summary>
    public static readonly FloatInput R = CustomSampling.SigmaFloat("r", 0.5, max: 100.0);
    /// <summary>Where the noise is drawn (both are the CPU generator here, as on a CPU-only reference).</summary>
    public static readonly ComboInput NoiseDevice = new("noise_device", ["gpu", "cpu"]);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerDPMPP_SDE", CustomSampling.Samplers, [Eta, SNoise, R, NoiseDevice], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise), r = (float)inputs.Get(R);
        string name = inputs.Get(NoiseDevice) == "cpu" ? "dpmpp_sde" : "dpmpp_sde_gpu";
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler(name, (c, x, s) => KDiffusionSamplers.DpmppSde(c, x, s, eta, sNoise, r))));
    }
}
