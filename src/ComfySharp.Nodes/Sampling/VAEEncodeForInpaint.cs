using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Sampling;

/// <summary>Encodes an image for inpainting: the masked pixels become neutral grey and the grown mask becomes the noise mask.</summary>
public sealed class VAEEncodeForInpaint : ComfyNode
{
    /// <summary>The image.</summary>
    public static readonly SocketInput<Tensor> Pixels = new("pixels", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>The VAE.</summary>
    public static readonly SocketInput<VaeModel> Vae = new("vae", IOTypes.VAE) { OneElementSpec = true };
    /// <summary>The inpainting mask (1 = repaint).</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };
    /// <summary>Box dilation of the noise mask, in pixels.</summary>
    public static readonly IntInput GrowMaskBy = new("grow_mask_by") { Default = 6, Min = 0, Max = 64, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAEEncodeForInpaint",
        DisplayName = "VAE Encode (for Inpainting)",
        Category = "latent/inpaint",
        Required = [Pixels, Vae, Mask, GrowMaskBy],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        VaeModel vae = inputs.Get(Vae);
        using var scope = NewDisposeScope();
        var (pixels, noiseMask) = Prepare(inputs.Get(Pixels), inputs.Get(Mask), (int)inputs.Get(GrowMaskBy), vae.DownscaleRatio);
        Tensor latent = vae.Encode(pixels);
        var result = new LatentValue(latent.MoveToOuterDisposeScope()) { NoiseMask = noiseMask.MoveToOuterDisposeScope() };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }

    /// <summary>Crops to a multiple of the ratio, greys out the masked pixels and grows the rounded mask.</summary>
    public static (Tensor Pixels, Tensor NoiseMask) Prepare(Tensor pixels, Tensor mask, int growMaskBy, int ratio)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        long h = pixels.shape[1], w = pixels.shape[2];
        long x = h / ratio * ratio, y = w / ratio * ratio;
        Tensor m = nn.functional.interpolate(mask.to_type(ScalarType.Float32).reshape(-1, 1, mask.shape[^2], mask.shape[^1]), [h, w],
            mode: InterpolationMode.Bilinear, align_corners: false);
        Tensor p = pixels.to_type(ScalarType.Float32).clone();
        if (h != x || w != y)
        {
            long xOffset = h % ratio / 2, yOffset = w % ratio / 2;
            p = p.narrow(1, xOffset, x).narrow(2, yOffset, y);
            m = m.narrow(2, xOffset, x).narrow(3, yOffset, y);
        }
        Tensor grown;
        if (growMaskBy == 0)
        {
            grown = m;
        }
        else
        {
            Tensor kernel = ones(1, 1, growMaskBy, growMaskBy);
            long padding = (long)Math.Ceiling((growMaskBy - 1) / 2.0);
            grown = nn.functional.conv2d(m.round(), kernel, padding: [padding, padding]).Clamp(0, 1);
        }
        Tensor keep = m.round().RSub(1.0).squeeze(1);
        Tensor rgb = p[.., .., .., ..3];
        rgb = (rgb.Sub(0.5) * keep.unsqueeze(-1)).Add(0.5);
        p = p.shape[3] > 3 ? cat([rgb, p[.., .., .., 3..]], 3) : rgb;
        Tensor noiseMask = grown[.., .., ..(int)x, ..(int)y].round();
        return (p.MoveToOuterDisposeScope(), noiseMask.MoveToOuterDisposeScope());
    }
}
