using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>samples1 × blend_factor + samples2 × (1 − blend_factor); samples2 is resized (bicubic, centre crop) when shapes differ.</summary>
public sealed class LatentBlend : ComfyNode
{
    /// <summary>First latents (kept: noise mask and batch index come from here).</summary>
    public static readonly SocketInput<LatentValue> Samples1 = new("samples1", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Second latents.</summary>
    public static readonly SocketInput<LatentValue> Samples2 = new("samples2", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Weight of samples1.</summary>
    public static readonly FloatInput BlendFactor = new("blend_factor") { Default = 0.5, Min = 0, Max = 1, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentBlend",
        DisplayName = "Latent Blend",
        Category = "_for_testing",
        Required = [Samples1, Samples2, BlendFactor],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue first = inputs.Get(Samples1);
        Tensor a = first.Samples, b = inputs.Get(Samples2).Samples;
        double factor = inputs.Get(BlendFactor);
        using var scope = NewDisposeScope();
        if (!a.shape.SequenceEqual(b.shape))
        {
            b = Resampling.CommonUpscale(b, a.shape[3], a.shape[2], "bicubic", "center");
        }
        Tensor result = a.Mul(factor).Add(b.Mul(1 - factor));
        return ValueTask.FromResult(NodeOutput.Of(first with { Samples = result.MoveToOuterDisposeScope() }));
    }
}
