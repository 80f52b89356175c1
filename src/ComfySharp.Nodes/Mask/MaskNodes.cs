using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Mask;

/// <summary>Registers the mask nodes.</summary>
public static class MaskNodes
{
    /// <summary>Adds every node of this category.</summary>
    public static void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<LoadImageMask>();
        registry.Add<MaskToImage>();
        registry.Add<ImageToMask>();
        registry.Add<SolidMask>();
        registry.Add<InvertMask>();
        registry.Add<CropMask>();
        registry.Add<MaskComposite>();
        registry.Add<FeatherMask>();
        registry.Add<GrowMask>();
        registry.Add<ThresholdMask>();
        registry.Add<MaskPreview>();
        registry.Add<ImageColorToMask>();
        registry.Add<SplitImageWithAlpha>();
        registry.Add<JoinImageWithAlpha>();
        registry.Add<PorterDuffImageComposite>();
        registry.Add<BatchMasksNode>();
    }
}
