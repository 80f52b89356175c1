using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Registers the custom-sampling nodes (samplers, schedulers, σ tools, guiders, noise).</summary>
public static class CustomSamplingNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<SamplerCustom>();
        registry.Add<SamplerCustomAdvanced>();
        registry.Add<KSamplerSelect>();
        registry.Add<SamplerEulerAncestral>();
        registry.Add<SamplerEulerAncestralCFGPP>();
        registry.Add<SamplerLMS>();
        registry.Add<SamplerDPMPP_2M_SDE>();
        registry.Add<SamplerDPMPP_3M_SDE>();
        registry.Add<SamplerDPMPP_SDE>();
        registry.Add<SamplerDPMPP_2S_Ancestral>();
        registry.Add<SamplerDPMAdaptative>();
        registry.Add<SamplerSEEDS2>();
        registry.Add<BasicScheduler>();
        registry.Add<KarrasScheduler>();
        registry.Add<ExponentialScheduler>();
        registry.Add<PolyexponentialScheduler>();
        registry.Add<LaplaceScheduler>();
        registry.Add<VPScheduler>();
        registry.Add<BetaSamplingScheduler>();
        registry.Add<SDTurboScheduler>();
        registry.Add<AlignYourStepsScheduler>();
        registry.Add<SplitSigmas>();
        registry.Add<SplitSigmasDenoise>();
        registry.Add<FlipSigmas>();
        registry.Add<SetFirstSigma>();
        registry.Add<ExtendIntermediateSigmas>();
        registry.Add<SamplingPercentToSigma>();
        registry.Add<ManualSigmas>();
        registry.Add<RandomNoise>();
        registry.Add<DisableNoise>();
        registry.Add<AddNoise>();
        registry.Add<BasicGuider>();
        registry.Add<CFGGuider>();
        registry.Add<DualCFGGuider>();
        registry.Add<PerpNegGuider>();
        registry.Add<GITSScheduler>();
        registry.Add<OptimalStepsScheduler>();
        registry.Add<SamplerEulerCFGpp>();
        registry.Add<SamplerLCMUpscale>();
        registry.Add<SamplerER_SDE>();
        registry.Add<SamplerSASolver>();
    }
}
