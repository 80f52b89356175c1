using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>
/// Prepares an InstructPix2Pix edit: the source image, cut to a multiple of 8 around its centre and VAE-encoded, goes
/// to both conditionings as the model's concat input; the latent to sample from is zeros of the same shape.
/// </summary>
public sealed class InstructPixToPixConditioning : ComfyNode
{
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING);
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING);
    /// <summary>The VAE that encodes the image.</summary>
    public static readonly SocketInput<VaeModel> Vae = new("vae", IOTypes.VAE);
    /// <summary>The image to edit.</summary>
    public static readonly SocketInput<Tensor> Pixels = new("pixels", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "InstructPixToPixConditioning",
        Category = "conditioning/instructpix2pix",
        PythonModule = "comfy_extras.nodes_ip2p",
        Flavor = NodeFlavor.Schema,
        Required = [Positive, Negative, Vae, Pixels],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"), new OutputSpec(IOTypes.LATENT, "latent")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        // VaeModel.Encode cuts to a multiple of the downscale ratio around the centre, as the reference node does first.
        Tensor concat = inputs.Get(Vae).Encode(inputs.Get(Pixels)).MoveToOuterDisposeScope();
        var latent = new LatentValue(zeros_like(concat).MoveToOuterDisposeScope());
        return ValueTask.FromResult(NodeOutput.Of(
            SetAll(inputs.Get(Positive), ConcatConditioning.ConcatLatentImage, concat),
            SetAll(inputs.Get(Negative), ConcatConditioning.ConcatLatentImage, concat),
            latent));
    }

    /// <summary>Every entry with <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public static ConditioningValue SetAll(ConditioningValue conditioning, string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        return new ConditioningValue(conditioning.Select(e => e.With(key, value)));
    }
}
