using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>A latent scaled by a constant.</summary>
public sealed class LatentMultiply : ComfyNode
{
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT);
    /// <summary>The factor.</summary>
    public static readonly FloatInput Multiplier = new("multiplier") { Default = 1.0, Min = -10.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = LatentArithmetic.Schema("LatentMultiply", [Samples, Multiplier]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        LatentValue latent = inputs.Get(Samples);
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = latent.Samples.Mul(inputs.Get(Multiplier)).MoveToOuterDisposeScope() }));
    }
}
