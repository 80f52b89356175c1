using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Blends two models: ratio·model1 + (1 − ratio)·model2, weight by weight.</summary>
public sealed class ModelMergeSimple : ComfyNode
{
    /// <summary>The first model (kept at ratio 1).</summary>
    public static readonly SocketInput<ModelPatcher> Model1 = MergeSupport.Model("model1");
    /// <summary>The second model.</summary>
    public static readonly SocketInput<ModelPatcher> Model2 = MergeSupport.Model("model2");
    /// <summary>Share of model1.</summary>
    public static readonly FloatInput Ratio = MergeSupport.Ratio("ratio");

    private static readonly NodeSchema Definition = MergeSupport.Schema("ModelMergeSimple", [Model1, Model2, Ratio], IOTypes.MODEL);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double ratio = inputs.Get(Ratio);
        ModelPatcher merged = WeightMerging.MergeModels(inputs.Get(Model1), inputs.Get(Model2), _ => (ratio, 1.0 - ratio));
        return ValueTask.FromResult(NodeOutput.Of(merged));
    }
}
