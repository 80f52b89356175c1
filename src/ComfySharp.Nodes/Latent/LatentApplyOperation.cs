using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Applies a latent operation to a latent.</summary>
public sealed class LatentApplyOperation : ComfyNode
{
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT);
    /// <summary>The operation.</summary>
    public static readonly SocketInput<LatentOperation> Operation = LatentOperations.Input();

    private static readonly NodeSchema Definition = LatentOperations.Schema("LatentApplyOperation", [Samples, Operation], IOTypes.LATENT);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        LatentValue latent = inputs.Get(Samples);
        Tensor result = inputs.Get(Operation).Apply(latent.Samples.to_type(ScalarType.Float32));
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = result.MoveToOuterDisposeScope() }));
    }
}
