using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two models with one ratio per block of the SDXL UNet (9 input blocks, 3 middle, 9 output; block names without a trailing dot, as in the reference).</summary>
public sealed class ModelMergeSDXL() : ModelMergeByBlocks(Definition)
{
    private static readonly BlockMergeLayout Definition = BlockMergeLayout.Create("ModelMergeSDXL", BlockMergeLayout.UNetPrefixes(9, trailingDot: false));

    /// <summary>One ratio (share of model1) per block prefix, in the reference's order.</summary>
    public static IReadOnlyList<FloatInput> Blocks => Definition.Blocks;
}
