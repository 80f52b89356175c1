using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Vae;

/// <summary>Decodes latents to an IMAGE batch.</summary>
public sealed class VAEDecode : ComfyNode
{
    /// <summary>The latent to decode.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { Tooltip = "The latent to decode." };

    /// <summary>The autoencoder.</summary>
    public static readonly SocketInput<VaeModel> VaeInput = new("vae", IOTypes.VAE) { Tooltip = "The VAE that decodes the latent." };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAEDecode",
        DisplayName = "VAE Decode",
        Category = "latent",
        Description = "Decodes latent images back into pixel-space images.",
        Required = [Samples, VaeInput],
        Outputs = [new OutputSpec(IOTypes.IMAGE, Tooltip: "The decoded image.")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        Tensor samples = VaeNodeHelpers.FlattenVideo(inputs.Get(Samples).Samples);
        Tensor images = inputs.Get(VaeInput).Decode(samples);
        return ValueTask.FromResult(NodeOutput.Of(images.MoveToOuterDisposeScope()));
    }
}
