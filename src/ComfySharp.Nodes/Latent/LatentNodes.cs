using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Latent;

/// <summary>Registers the latent nodes.</summary>
public static class LatentNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<EmptyLatentImage>();
        registry.Add<LatentUpscale>();
        registry.Add<LatentUpscaleBy>();
        registry.Add<LatentComposite>();
        registry.Add<LatentBlend>();
        registry.Add<LatentCrop>();
        registry.Add<LatentFlip>();
        registry.Add<LatentRotate>();
        registry.Add<LatentFromBatch>();
        registry.Add<RepeatLatentBatch>();
        registry.Add<SetLatentNoiseMask>();
        registry.Add<LatentAdd>();
        registry.Add<LatentSubtract>();
        registry.Add<LatentMultiply>();
        registry.Add<LatentInterpolate>();
        registry.Add<LatentApplyOperation>();
        registry.Add<LatentApplyOperationCFG>();
        registry.Add<LatentOperationTonemapReinhard>();
        registry.Add<LatentOperationSharpen>();
        registry.Add<LatentCompositeMasked>();
        registry.Add<LatentBatchSeedBehavior>();
        registry.Add<LatentBatch>();
        registry.Add<LatentConcat>();
        registry.Add<LatentCut>();
        registry.Add<LatentCutToBatch>();
        registry.Add<RebatchLatents>();
        registry.Add<SaveLatent>();
        registry.Add<LoadLatent>();
        registry.Add<BatchLatentsNode>();
    }
}
