using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;

namespace ComfySharp.Nodes.Latent;

/// <summary>Patches a model so that, before CFG mixes them, the positive prediction's difference from the negative goes through a latent operation.</summary>
public sealed class LatentApplyOperationCFG : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL);
    /// <summary>The operation.</summary>
    public static readonly SocketInput<LatentOperation> Operation = LatentOperations.Input();

    private static readonly NodeSchema Definition = LatentOperations.Schema("LatentApplyOperationCFG", [Model, Operation], IOTypes.MODEL);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentOperation operation = inputs.Get(Operation);
        PreCfgFunction function = (predictions, _) =>
        {
            var result = (TorchSharp.torch.Tensor[])predictions.Clone();
            result[0] = predictions.Length >= 2
                ? operation.Apply(predictions[0] - predictions[1]).Add(predictions[1])
                : operation.Apply(predictions[0]);
            return result;
        };
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o with { PreCfgFunctions = [.. o.PreCfgFunctions, function] })));
    }
}
