using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Interpolates two latents: directions per pixel are mixed with the ratio and renormalised, magnitudes mixed linearly.</summary>
public sealed class LatentInterpolate : ComfyNode
{
    /// <summary>The first latent (its other entries are kept).</summary>
    public static readonly SocketInput<LatentValue> Samples1 = new("samples1", IOTypes.LATENT);
    /// <summary>The second latent, resized and batched to the first.</summary>
    public static readonly SocketInput<LatentValue> Samples2 = new("samples2", IOTypes.LATENT);
    /// <summary>Share of samples1.</summary>
    public static readonly FloatInput Ratio = new("ratio") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = LatentArithmetic.Schema("LatentInterpolate", [Samples1, Samples2, Ratio]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        LatentValue first = inputs.Get(Samples1);
        double ratio = inputs.Get(Ratio);
        Tensor s1 = first.Samples;
        Tensor s2 = LatentArithmetic.ReshapeTo(s1, inputs.Get(Samples2).Samples);
        // Norms over dim 1 divide the latents with broadcasting exactly as the reference writes it.
        Tensor m1 = s1.VectorNorm(2.0, 1);
        Tensor m2 = s2.VectorNorm(2.0, 1);
        Tensor d1 = (s1 / m1).nan_to_num();
        Tensor d2 = (s2 / m2).nan_to_num();
        Tensor t = d1.Mul(ratio).Add(d2.Mul(1.0 - ratio));
        Tensor direction = (t / t.VectorNorm(2.0, 1)).nan_to_num();
        Tensor result = direction * m1.Mul(ratio).Add(m2.Mul(1.0 - ratio));
        return ValueTask.FromResult(NodeOutput.Of(first with { Samples = result.MoveToOuterDisposeScope() }));
    }
}
