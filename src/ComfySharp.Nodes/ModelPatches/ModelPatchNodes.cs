using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Registers the model-patch nodes (CFG functions, UNet block and attention hooks, attention multipliers).</summary>
public static class ModelPatchNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<FreeU>();
        registry.Add<FreeU_V2>();
        registry.Add<RescaleCFG>();
        registry.Add<CFGZeroStar>();
        registry.Add<CFGNorm>();
        registry.Add<PerturbedAttentionGuidance>();
        registry.Add<SelfAttentionGuidance>();
        registry.Add<HyperTile>();
        registry.Add<PatchModelAddDownscale>();
        registry.Add<DifferentialDiffusion>();
        registry.Add<EpsilonScaling>();
        registry.Add<TemporalScoreRescaling>();
        registry.Add<PerpNeg>();
        registry.Add<UNetSelfAttentionMultiply>();
        registry.Add<UNetCrossAttentionMultiply>();
        registry.Add<CLIPAttentionMultiply>();
        registry.Add<APG>();
        registry.Add<TCFG>();
        registry.Add<FreSca>();
        registry.Add<Mahiro>();
        registry.Add<TomePatchModel>();
    }
}
