using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>
/// The architecture-specific block merges (<c>ModelMergeSD1</c>, <c>ModelMergeSD2</c>, <c>ModelMergeSDXL</c>...):
/// two models and one ratio (share of model1) per UNet block prefix, listed in the reference's order.
/// </summary>
public abstract class ModelMergeByBlocks(BlockMergeLayout layout) : ComfyNode
{
    /// <summary>The node's inputs and schema.</summary>
    protected BlockMergeLayout Layout { get; } = layout ?? throw new ArgumentNullException(nameof(layout));

    /// <inheritdoc />
    public override NodeSchema Schema => Layout.Schema;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var blocks = Layout.Blocks.Select(b => (b.Name, inputs.Get(b))).ToArray();
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeBlocks(inputs.Get(Layout.Model1), inputs.Get(Layout.Model2), blocks)));
    }
}

/// <summary>The inputs of one block-merge node: model1, model2, then a ratio per block prefix.</summary>
public sealed class BlockMergeLayout
{
    private BlockMergeLayout(string classType, IReadOnlyList<string> blockPrefixes)
    {
        Blocks = [.. blockPrefixes.Select(MergeSupport.Ratio)];
        Schema = MergeSupport.Schema(classType, [Model1, Model2, .. Blocks], IOTypes.MODEL,
            MergeSupport.ModelSpecificCategory, MergeSupport.ModelSpecificModule);
    }

    /// <summary>The first model.</summary>
    public SocketInput<ModelPatcher> Model1 { get; } = MergeSupport.Model("model1");

    /// <summary>The second model.</summary>
    public SocketInput<ModelPatcher> Model2 { get; } = MergeSupport.Model("model2");

    /// <summary>One ratio per block prefix, in the reference's order.</summary>
    public IReadOnlyList<FloatInput> Blocks { get; }

    /// <summary>The node's schema.</summary>
    public NodeSchema Schema { get; }

    /// <summary>A layout for <paramref name="classType"/> with these block prefixes.</summary>
    public static BlockMergeLayout Create(string classType, IReadOnlyList<string> blockPrefixes)
    {
        ArgumentNullException.ThrowIfNull(classType);
        ArgumentNullException.ThrowIfNull(blockPrefixes);
        return new BlockMergeLayout(classType, blockPrefixes);
    }

    /// <summary>
    /// The prefixes of a UNet with <paramref name="inputBlocks"/> input and output blocks: time and label embeddings,
    /// input blocks, the three middle-block parts, output blocks and the final layer. With <paramref name="trailingDot"/>
    /// false the block prefixes have no dot (the reference's SDXL node, where input_blocks.1 also matches 10 and 11).
    /// </summary>
    public static IReadOnlyList<string> UNetPrefixes(int inputBlocks, bool trailingDot)
    {
        string dot = trailingDot ? "." : "";
        return ["time_embed.", "label_emb.", .. Enumerable.Range(0, inputBlocks).Select(i => $"input_blocks.{i}{dot}"),
            .. Enumerable.Range(0, 3).Select(i => $"middle_block.{i}{dot}"), .. Enumerable.Range(0, inputBlocks).Select(i => $"output_blocks.{i}{dot}"), "out."];
    }
}
