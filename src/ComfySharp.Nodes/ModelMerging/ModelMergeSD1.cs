using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two models with one ratio per block of the SD1 UNet (12 input blocks, 3 middle, 12 output).</summary>
public sealed class ModelMergeSD1() : ModelMergeByBlocks(Definition)
{
    private static readonly BlockMergeLayout Definition = BlockMergeLayout.Create("ModelMergeSD1", BlockMergeLayout.UNetPrefixes(12, trailingDot: true));

    /// <summary>One ratio (share of model1) per block prefix, in the reference's order.</summary>
    public static IReadOnlyList<FloatInput> Blocks => Definition.Blocks;
}
