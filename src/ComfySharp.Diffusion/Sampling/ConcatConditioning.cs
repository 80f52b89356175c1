using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>What per-entry model inputs take from the sampling run rather than from the entry.</summary>
/// <param name="NoiseShape">Shape of the noise (= the latent) [B, C, H, W].</param>
/// <param name="Seed">The sampling seed (unCLIP noise augmentation draws from it).</param>
public sealed record ModelCondInputs(long[] NoiseShape, ulong Seed)
{
    /// <summary>The input latent in the model's space (the reference's <c>latent_image</c>, after <c>process_latent_in</c>).</summary>
    public Tensor? LatentImage { get; init; }

    /// <summary>The latent's noise mask, prepared to the noise shape (the reference's <c>denoise_mask</c>), or null.</summary>
    public Tensor? DenoiseMask { get; init; }
}

/// <summary>
/// The channels a model takes beside the noisy latent (the reference's <c>c_concat</c>, built by
/// <c>BaseModel.concat_cond</c> and <c>IP2P.concat_cond</c>): an InstructPix2Pix UNet (8 input channels) takes the
/// encoded source image; an inpainting UNet (9) takes the noise mask and the encoded masked image, or a blank image
/// under an all-ones mask when there is no mask. The channels are cut to each entry's area and batched with it.
/// </summary>
public static class ConcatConditioning
{
    /// <summary>Conditioning option: the VAE latent of the image to concatenate (Tensor, not scaled).</summary>
    public const string ConcatLatentImage = "concat_latent_image";

    /// <summary>Conditioning option: the inpainting mask to concatenate (Tensor), taking precedence over the latent's noise mask.</summary>
    public const string ConcatMask = "concat_mask";

    /// <summary>A black image in SD latent space, per channel (the reference's <c>blank_inpaint_image_like</c>).</summary>
    private static readonly double[] BlankInpaintLatent = [0.8223, -0.6876, 0.6364, 0.1380];

    /// <summary>The input channels of <paramref name="network"/> (the latent's for networks that are not LDM UNets).</summary>
    public static int InputChannels(IDiffusionNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network is UNet.UNetModel unet ? unet.Config.InChannels : network.LatentFormat.Channels;
    }

    /// <summary>The concat channels [B, extra, H, W] for one entry, or null when the model takes none.</summary>
    public static Tensor? For(IDiffusionNetwork network, ConditioningEntry entry, ModelCondInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(inputs);
        int latentChannels = network.LatentFormat.Channels;
        int extra = InputChannels(network) - latentChannels;
        if (extra == 0)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        Tensor result = extra switch
        {
            _ when extra == latentChannels => InstructPix2Pix(entry, inputs.NoiseShape),
            _ when extra == latentChannels + 1 => Inpaint(network, entry, inputs),
            _ => throw new NotSupportedException($"This UNet takes {latentChannels + extra} input channels ({extra} beyond the latent: a depth model's depth map?); " +
                "only InstructPix2Pix (latent + image latent) and inpainting (latent + mask + masked image) concat inputs are supported."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The reference's <c>resize_to_batch_size</c>: spread or pick items evenly to reach <paramref name="batch"/>.</summary>
    public static Tensor ResizeToBatch(Tensor value, long batch)
    {
        ArgumentNullException.ThrowIfNull(value);
        long n = value.shape[0];
        if (n == batch)
        {
            return value;
        }
        if (batch <= 1)
        {
            return value.narrow(0, 0, batch);
        }
        var indices = new long[batch];
        for (long i = 0; i < batch; i++)
        {
            indices[i] = batch < n
                ? Math.Min((long)Math.Round(i * ((n - 1) / (double)(batch - 1)), MidpointRounding.ToEven), n - 1)
                : Math.Min((long)Math.Floor((i + 0.5) * (n / (double)batch)), n - 1);
        }
        using Tensor index = tensor(indices);
        return value.index_select(0, index);
    }

    private static Tensor InstructPix2Pix(ConditioningEntry entry, long[] noise)
    {
        Tensor image = entry.Get(ConcatLatentImage) is Tensor t ? t.to_type(ScalarType.Float32).cpu() : zeros(noise, ScalarType.Float32);
        return ResizeToBatch(FitTo(image, noise), noise[0]);
    }

    private static Tensor Inpaint(IDiffusionNetwork network, ConditioningEntry entry, ModelCondInputs inputs)
    {
        long[] noise = inputs.NoiseShape;
        Tensor? mask = entry.Get(ConcatMask) as Tensor ?? inputs.DenoiseMask;
        if (mask is null)
        {
            // No mask anywhere: everything is to be painted, over a black image.
            Tensor blank = tensor(BlankInpaintLatent.Select(v => (float)v).ToArray()).view(1, -1, 1, 1).expand(noise[0], BlankInpaintLatent.Length, noise[2], noise[3]);
            return cat([ones(noise[0], 1, noise[2], noise[3]), blank], 1);
        }
        Tensor image = entry.Get(ConcatLatentImage) is Tensor t
            ? t.to_type(ScalarType.Float32).cpu().Mul(network.LatentFormat.ScaleFactor)
            : inputs.LatentImage ?? zeros(noise, ScalarType.Float32);
        image = ResizeToBatch(FitTo(image, noise), noise[0]);
        Tensor m = mask.to_type(ScalarType.Float32).cpu();
        if (m.dim() == noise.Length)
        {
            m = m[.., ..1];
        }
        m = m.reshape(-1, 1, m.shape[^2], m.shape[^1]);
        if (m.shape[2] != noise[2] || m.shape[3] != noise[3])
        {
            m = Resampling.CommonUpscale(m, noise[3], noise[2], "bilinear", "center");
        }
        m = ResizeToBatch(m.round(), noise[0]);
        return cat([m, image], 1);
    }

    /// <summary>Resizes (bilinear, centre crop) when anything but the batch differs from the noise, as the reference does.</summary>
    private static Tensor FitTo(Tensor image, long[] noise) =>
        image.shape.Skip(1).SequenceEqual(noise.Skip(1)) ? image : Resampling.CommonUpscale(image, noise[3], noise[2], "bilinear", "center");
}
