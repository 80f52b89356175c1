using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;

namespace ComfySharp.Nodes.ModelMerging;

/// <summary>The scaled difference multiplier·(model1 − model2), e.g. to extract what a fine-tune added.</summary>
public sealed class ModelMergeSubtract : ComfyNode
{
    /// <summary>The first model.</summary>
    public static readonly SocketInput<ModelPatcher> Model1 = MergeSupport.Model("model1");
    /// <summary>The model subtracted.</summary>
    public static readonly SocketInput<ModelPatcher> Model2 = MergeSupport.Model("model2");
    /// <summary>Scale of the difference.</summary>
    public static readonly FloatInput Multiplier = MergeSupport.Multiplier();

    private static readonly NodeSchema Definition = MergeSupport.Schema("ModelMergeSubtract", [Model1, Model2, Multiplier], IOTypes.MODEL);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double m = inputs.Get(Multiplier);
        ModelPatcher merged = WeightMerging.MergeModels(inputs.Get(Model1), inputs.Get(Model2), _ => (m, -m));
        return ValueTask.FromResult(NodeOutput.Of(merged));
    }
}
