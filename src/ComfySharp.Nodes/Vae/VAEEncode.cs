using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Vae;

/// <summary>Encodes an IMAGE batch to a latent (centre-cropped to multiples of 8, alpha dropped).</summary>
public sealed class VAEEncode : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Pixels = new("pixels", IOTypes.IMAGE) { OneElementSpec = true };

    /// <summary>The autoencoder.</summary>
    public static readonly SocketInput<VaeModel> VaeInput = new("vae", IOTypes.VAE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAEEncode",
        DisplayName = "VAE Encode",
        Category = "latent",
        Required = [Pixels, VaeInput],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        Tensor latent = inputs.Get(VaeInput).Encode(inputs.Get(Pixels));
        return ValueTask.FromResult(NodeOutput.Of(new LatentValue(latent.MoveToOuterDisposeScope())));
    }
}
