using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two models with one ratio per block of the SDXL UNet (9 input blocks, 3 middle, 9 output; block names without a trailing dot, as in the reference).</summary>
public sealed class ModelMergeSDXL : ComfyNode
{
    /// <summary>The first model.</summary>
    public static readonly SocketInput<ModelPatcher> Model1 = MergeSupport.Model("model1");
    /// <summary>The second model.</summary>
    public static readonly SocketInput<ModelPatcher> Model2 = MergeSupport.Model("model2");

    /// <summary>One ratio (share of model1) per block prefix, in the reference's order.</summary>
    public static readonly IReadOnlyList<FloatInput> Blocks = BlockNames().Select(MergeSupport.Ratio).ToArray();

    private static readonly NodeSchema Definition = MergeSupport.Schema("ModelMergeSDXL", [Model1, Model2, .. Blocks], IOTypes.MODEL,
        MergeSupport.ModelSpecificCategory, MergeSupport.ModelSpecificModule);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var blocks = Blocks.Select(b => (b.Name, inputs.Get(b))).ToArray();
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeBlocks(inputs.Get(Model1), inputs.Get(Model2), blocks)));
    }

    private static string[] BlockNames() =>
        ["time_embed.", "label_emb.", .. Enumerable.Range(0, 9).Select(i => $"input_blocks.{i}"), .. Enumerable.Range(0, 3).Select(i => $"middle_block.{i}"), .. Enumerable.Range(0, 9).Select(i => $"output_blocks.{i}"), "out."];
}
