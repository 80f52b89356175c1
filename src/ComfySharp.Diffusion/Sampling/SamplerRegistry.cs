using System.Collections.Frozen;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>A sampler algorithm: runs from the noise-scaled start latent over the σ list.</summary>
public delegate Tensor SamplerFunction(SamplerContext context, Tensor x, float[] sigmas);

/// <summary>One entry of the KSampler sampler list.</summary>
/// <param name="Name">The <c>sampler_name</c> option.</param>
/// <param name="Run">The algorithm.</param>
/// <param name="NeedsUncondPrediction">CFG++ samplers read the unconditional prediction even at cfg 1.</param>
/// <param name="RandomInpaintNoise">ddim: inpainting re-noises the kept area with noise from seed + 1 instead of the initial noise.</param>
public sealed record SamplerDefinition(string Name, SamplerFunction Run, bool NeedsUncondPrediction = false, bool RandomInpaintNoise = false);

/// <summary>The 44 samplers of NODES.md §4.1, in the reference's order.</summary>
public static class SamplerRegistry
{
    private static readonly SamplerDefinition[] Definitions =
    [
        new("euler", KDiffusionSamplers.Euler),
        new("euler_cfg_pp", (c, x, s) => KDiffusionSamplers.EulerAncestralCfgPp(c, x, s, eta: 0f, sNoise: 0f), NeedsUncondPrediction: true),
        new("euler_ancestral", (c, x, s) => KDiffusionSamplers.EulerAncestral(c, x, s)),
        new("euler_ancestral_cfg_pp", (c, x, s) => KDiffusionSamplers.EulerAncestralCfgPp(c, x, s), NeedsUncondPrediction: true),
        new("heun", KDiffusionSamplers.Heun),
        new("heunpp2", KDiffusionSamplers.HeunPp2),
        new("exp_heun_2_x0", (c, x, s) => KDiffusionSamplers.Seeds2(c, x, s, eta: 0f, sNoise: 0f, r: 1f, phi2Solver: true)),
        new("exp_heun_2_x0_sde", (c, x, s) => KDiffusionSamplers.Seeds2(c, x, s, r: 1f, phi2Solver: true)),
        new("dpm_2", KDiffusionSamplers.Dpm2),
        new("dpm_2_ancestral", (c, x, s) => KDiffusionSamplers.Dpm2Ancestral(c, x, s)),
        new("lms", (c, x, s) => KDiffusionSamplers.Lms(c, x, s)),
        new("dpm_fast", DpmSolverSamplers.Fast),
        new("dpm_adaptive", (c, x, s) => DpmSolverSamplers.Adaptive(c, x, s)),
        new("dpmpp_2s_ancestral", (c, x, s) => KDiffusionSamplers.Dpmpp2SAncestral(c, x, s)),
        new("dpmpp_2s_ancestral_cfg_pp", (c, x, s) => KDiffusionSamplers.Dpmpp2SAncestral(c, x, s, cfgPp: true), NeedsUncondPrediction: true),
        new("dpmpp_sde", (c, x, s) => KDiffusionSamplers.DpmppSde(c, x, s)),
        new("dpmpp_sde_gpu", (c, x, s) => KDiffusionSamplers.DpmppSde(c, x, s)),
        new("dpmpp_2m", KDiffusionSamplers.Dpmpp2M),
        new("dpmpp_2m_cfg_pp", KDiffusionSamplers.Dpmpp2MCfgPp, NeedsUncondPrediction: true),
        new("dpmpp_2m_sde", (c, x, s) => KDiffusionSamplers.Dpmpp2MSde(c, x, s, heun: false)),
        new("dpmpp_2m_sde_gpu", (c, x, s) => KDiffusionSamplers.Dpmpp2MSde(c, x, s, heun: false)),
        new("dpmpp_2m_sde_heun", (c, x, s) => KDiffusionSamplers.Dpmpp2MSde(c, x, s, heun: true)),
        new("dpmpp_2m_sde_heun_gpu", (c, x, s) => KDiffusionSamplers.Dpmpp2MSde(c, x, s, heun: true)),
        new("dpmpp_3m_sde", (c, x, s) => KDiffusionSamplers.Dpmpp3MSde(c, x, s)),
        new("dpmpp_3m_sde_gpu", (c, x, s) => KDiffusionSamplers.Dpmpp3MSde(c, x, s)),
        new("ddpm", KDiffusionSamplers.Ddpm),
        new("lcm", KDiffusionSamplers.Lcm),
        new("ipndm", (c, x, s) => KDiffusionSamplers.Ipndm(c, x, s, variableStep: false)),
        new("ipndm_v", (c, x, s) => KDiffusionSamplers.Ipndm(c, x, s, variableStep: true)),
        new("deis", (c, x, s) => KDiffusionSamplers.Deis(c, x, s)),
        new("res_multistep", (c, x, s) => KDiffusionSamplers.ResMultistep(c, x, s, eta: 0f, cfgPp: false)),
        new("res_multistep_cfg_pp", (c, x, s) => KDiffusionSamplers.ResMultistep(c, x, s, eta: 0f, cfgPp: true), NeedsUncondPrediction: true),
        new("res_multistep_ancestral", (c, x, s) => KDiffusionSamplers.ResMultistep(c, x, s, eta: 1f, cfgPp: false)),
        new("res_multistep_ancestral_cfg_pp", (c, x, s) => KDiffusionSamplers.ResMultistep(c, x, s, eta: 1f, cfgPp: true), NeedsUncondPrediction: true),
        new("gradient_estimation", (c, x, s) => KDiffusionSamplers.GradientEstimation(c, x, s, cfgPp: false)),
        new("gradient_estimation_cfg_pp", (c, x, s) => KDiffusionSamplers.GradientEstimation(c, x, s, cfgPp: true), NeedsUncondPrediction: true),
        new("er_sde", (c, x, s) => KDiffusionSamplers.ErSde(c, x, s)),
        new("seeds_2", (c, x, s) => KDiffusionSamplers.Seeds2(c, x, s)),
        new("seeds_3", (c, x, s) => KDiffusionSamplers.Seeds3(c, x, s)),
        new("sa_solver", (c, x, s) => SaSolverSampler.Sample(c, x, s, usePece: false)),
        new("sa_solver_pece", (c, x, s) => SaSolverSampler.Sample(c, x, s, usePece: true)),
        new("ddim", KDiffusionSamplers.Euler, RandomInpaintNoise: true),
        new("uni_pc", (c, x, s) => UniPcSampler.Sample(c, x, s, bh2: false)),
        new("uni_pc_bh2", (c, x, s) => UniPcSampler.Sample(c, x, s, bh2: true)),
    ];

    private static readonly FrozenDictionary<string, SamplerDefinition> ByName = Definitions.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Sampler names in the reference's order.</summary>
    public static IReadOnlyList<string> Names { get; } = Definitions.Select(d => d.Name).ToArray();

    /// <summary>The sampler of that name; unknown names fall back to the first entry, as in the reference.</summary>
    public static SamplerDefinition Get(string name) =>
        ByName.TryGetValue(name, out SamplerDefinition? d) ? d : Definitions[0];
}
