using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Attaches a noise mask [B, 1, H, W] so that samplers only change the masked (1) area.</summary>
public sealed class SetLatentNoiseMask : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SetLatentNoiseMask",
        DisplayName = "Set Latent Noise Mask",
        Category = "latent/inpaint",
        Required = [Samples, Mask],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        Tensor mask = inputs.Get(Mask);
        if (mask.dim() < 2)
        {
            throw new ArgumentException($"A MASK needs at least 2 dimensions, got [{string.Join(", ", mask.shape)}].");
        }
        return ValueTask.FromResult(NodeOutput.Of(latent with { NoiseMask = mask.reshape(-1, 1, mask.shape[^2], mask.shape[^1]) }));
    }
}
