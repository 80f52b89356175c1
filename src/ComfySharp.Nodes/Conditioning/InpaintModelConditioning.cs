using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>
/// Prepares inpainting with an inpainting model: the masked pixels become grey and are VAE-encoded as the model's concat
/// image, the mask goes with them as its concat mask, and the latent to sample from is the original image's encoding
/// (with the mask as its noise mask unless <c>noise_mask</c> is off).
/// </summary>
public sealed class InpaintModelConditioning : ComfyNode
{
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The VAE.</summary>
    public static readonly SocketInput<VaeModel> Vae = new("vae", IOTypes.VAE) { OneElementSpec = true };
    /// <summary>The image.</summary>
    public static readonly SocketInput<Tensor> Pixels = new("pixels", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>The area to repaint (1).</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };
    /// <summary>Also restrict sampling to the mask through the latent's noise mask.</summary>
    public static readonly BooleanInput NoiseMask = new("noise_mask")
    {
        Default = true,
        Tooltip = "Add a noise mask to the latent so sampling will only happen within the mask. Might improve results or completely break things depending on the model.",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "InpaintModelConditioning",
        DisplayName = "InpaintModelConditioning",
        Category = "conditioning/inpaint",
        Required = [Positive, Negative, Vae, Pixels, Mask, NoiseMask],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"), new OutputSpec(IOTypes.LATENT, "latent")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        VaeModel vae = inputs.Get(Vae);
        using var scope = NewDisposeScope();
        var (masked, mask) = Prepare(inputs.Get(Pixels), inputs.Get(Mask), vae.DownscaleRatio);
        Tensor concat = vae.Encode(masked).MoveToOuterDisposeScope();
        Tensor original = vae.Encode(inputs.Get(Pixels)).MoveToOuterDisposeScope();
        mask = mask.MoveToOuterDisposeScope();
        var latent = new LatentValue(original) { NoiseMask = inputs.Get(NoiseMask) ? mask : null };
        ConditioningValue With(ConditioningValue c) => new(c.Select(e => e.With(ConcatConditioning.ConcatLatentImage, concat).With(ConcatConditioning.ConcatMask, mask)));
        return ValueTask.FromResult(NodeOutput.Of(With(inputs.Get(Positive)), With(inputs.Get(Negative)), latent));
    }

    /// <summary>
    /// The mask resized (bilinear) to the image [B, 1, H, W], both cut to a multiple of <paramref name="ratio"/> around the
    /// centre, and the pixels under the rounded mask set to 0.5.
    /// </summary>
    public static (Tensor Pixels, Tensor Mask) Prepare(Tensor pixels, Tensor mask, int ratio)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        long h = pixels.shape[1], w = pixels.shape[2];
        long x = h / ratio * ratio, y = w / ratio * ratio;
        Tensor m = nn.functional.interpolate(mask.to_type(ScalarType.Float32).reshape(-1, 1, mask.shape[^2], mask.shape[^1]), [h, w],
            mode: InterpolationMode.Bilinear, align_corners: false);
        Tensor p = pixels.to_type(ScalarType.Float32);
        if (h != x || w != y)
        {
            long xOffset = h % ratio / 2, yOffset = w % ratio / 2;
            p = p.narrow(1, xOffset, x).narrow(2, yOffset, y);
            m = m.narrow(2, xOffset, x).narrow(3, yOffset, y);
        }
        Tensor keep = m.round().RSub(1.0).squeeze(1).unsqueeze(-1);
        Tensor rgb = (p[.., .., .., ..3].Sub(0.5) * keep).Add(0.5);
        p = p.shape[3] > 3 ? cat([rgb, p[.., .., .., 3..]], 3) : rgb;
        return (p.MoveToOuterDisposeScope(), m.MoveToOuterDisposeScope());
    }
}
