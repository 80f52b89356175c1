using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>The difference of two latents (samples1 − samples2).</summary>
public sealed class LatentSubtract : ComfyNode
{
    /// <summary>The first latent (its other entries are kept).</summary>
    public static readonly SocketInput<LatentValue> Samples1 = new("samples1", IOTypes.LATENT);
    /// <summary>The second latent, resized and batched to the first.</summary>
    public static readonly SocketInput<LatentValue> Samples2 = new("samples2", IOTypes.LATENT);

    private static readonly NodeSchema Definition = LatentArithmetic.Schema("LatentSubtract", [Samples1, Samples2]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        LatentValue first = inputs.Get(Samples1);
        Tensor other = LatentArithmetic.ReshapeTo(first.Samples, inputs.Get(Samples2).Samples);
        return ValueTask.FromResult(NodeOutput.Of(first with { Samples = (first.Samples - other).MoveToOuterDisposeScope() }));
    }
}
