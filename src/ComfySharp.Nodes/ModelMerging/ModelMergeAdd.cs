using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>Adds model2's weights to model1's (model1 + model2).</summary>
public sealed class ModelMergeAdd : ComfyNode
{
    /// <summary>The first model.</summary>
    public static readonly SocketInput<ModelPatcher> Model1 = MergeSupport.Model("model1");
    /// <summary>The model whose weights are added.</summary>
    public static readonly SocketInput<ModelPatcher> Model2 = MergeSupport.Model("model2");

    private static readonly NodeSchema Definition = MergeSupport.Schema("ModelMergeAdd", [Model1, Model2], IOTypes.MODEL);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher merged = WeightMerging.MergeModels(inputs.Get(Model1), inputs.Get(Model2), _ => (1.0, 1.0));
        return ValueTask.FromResult(NodeOutput.Of(merged));
    }
}
