using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two models with one ratio for the input blocks, one for the middle block and one for the output side.</summary>
public sealed class ModelMergeBlocks : ComfyNode
{
    /// <summary>The first model.</summary>
    public static readonly SocketInput<ModelPatcher> Model1 = MergeSupport.Model("model1");
    /// <summary>The second model.</summary>
    public static readonly SocketInput<ModelPatcher> Model2 = MergeSupport.Model("model2");
    /// <summary>Share of model1 in keys starting with "input" (and the default).</summary>
    public static readonly FloatInput Input = MergeSupport.Ratio("input");
    /// <summary>Share of model1 in keys starting with "middle".</summary>
    public static readonly FloatInput Middle = MergeSupport.Ratio("middle");
    /// <summary>Share of model1 in keys starting with "out" (output blocks and the final layer).</summary>
    public static readonly FloatInput Out = MergeSupport.Ratio("out");

    private static readonly NodeSchema Definition = MergeSupport.Schema("ModelMergeBlocks", [Model1, Model2, Input, Middle, Out], IOTypes.MODEL);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        (string, double)[] blocks = [("input", inputs.Get(Input)), ("middle", inputs.Get(Middle)), ("out", inputs.Get(Out))];
        return ValueTask.FromResult(NodeOutput.Of(MergeSupport.MergeBlocks(inputs.Get(Model1), inputs.Get(Model2), blocks)));
    }

    /// <summary>
    /// The ratio of a UNet key: the value of the longest block prefix the key starts with, else the
    /// first block's value (the reference's ModelMergeBlocks rule).
    /// </summary>
    public static double BlockRatio(string key, IReadOnlyList<(string Prefix, double Ratio)> blocks)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(blocks);
        double ratio = blocks[0].Ratio;
        int longest = 0;
        foreach (var (prefix, value) in blocks)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && prefix.Length > longest)
            {
                ratio = value;
                longest = prefix.Length;
            }
        }
        return ratio;
    }
}
