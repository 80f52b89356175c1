using ComfySharp.Torch.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Vae;

/// <summary>
/// The VAE value passed between nodes: encodes IMAGE batches [B, H, W, C] in 0..1 to latents and
/// decodes latents back. Latents are in VAE space (no 0.18215 scaling: the model applies it).
/// </summary>
public sealed class VaeModel : IDisposable
{
    /// <summary>Wraps a loaded autoencoder (weights already in place).</summary>
    public VaeModel(AutoencoderKL network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
    }

    /// <summary>The autoencoder.</summary>
    public AutoencoderKL Network { get; }

    /// <summary>Device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Dtype used for computation.</summary>
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;

    /// <summary>Pixels per latent cell (8).</summary>
    public int DownscaleRatio => Network.Config.DownscaleRatio;

    /// <summary>Latent channels (4).</summary>
    public int LatentChannels => Network.Config.LatentChannels;

    /// <summary>Bytes held by the weights.</summary>
    public long WeightBytes => Network.parameters().Sum(p => p.NumberOfElements * p.ElementSize);

    /// <summary>Moves the weights to a device and dtype.</summary>
    public VaeModel MoveTo(Device device, ScalarType computeType)
    {
        ArgumentNullException.ThrowIfNull(device);
        Network.to(computeType);
        Network.to(device);
        Device = device;
        ComputeType = computeType;
        return this;
    }

    /// <summary>The raw decoder output [B, 3, 8h, 8w] (float32, CPU) for a latent [B, 4, h, w].</summary>
    public Tensor DecodeRaw(Tensor latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        // One item at a time bounds the activation memory at large sizes; results do not depend on it.
        for (long b = 0; b < latent.shape[0]; b++)
        {
            parts.Add(RunDecoder(latent.narrow(0, b, 1)));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Decodes a latent [B, 4, h, w] to an IMAGE [B, 8h, 8w, 3] in 0..1.</summary>
    public Tensor Decode(Tensor latent)
    {
        using var scope = NewDisposeScope();
        return ToImage(DecodeRaw(latent)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decodes in overlapping tiles of <paramref name="tileX"/>×<paramref name="tileY"/> latent cells
    /// (overlap in latent cells), averaging three tilings as the reference does to hide seams.
    /// </summary>
    public Tensor DecodeTiled(Tensor latent, int tileX = 64, int tileY = 64, int overlap = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(latent);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        int ratio = DownscaleRatio;
        int channels = Network.Config.ImageChannels;
        Tensor sum = TiledScale.Apply(latent, RunDecoder, tileX / 2, tileY * 2, overlap, ratio, channels, cancellationToken).Add(TiledScale.Apply(latent, RunDecoder, tileX * 2, tileY / 2, overlap, ratio, channels, cancellationToken)).Add(TiledScale.Apply(latent, RunDecoder, tileX, tileY, overlap, ratio, channels, cancellationToken));
        return ToImage(sum.Div(3.0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Encodes an IMAGE [B, H, W, C] to the latent mean [B, 4, H/8, W/8]: extra channels (alpha) are
    /// dropped and sides that are not multiples of 8 are centre-cropped first.
    /// </summary>
    public Tensor Encode(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        Tensor pixels = ToPixels(image);
        var parts = new List<Tensor>();
        for (long b = 0; b < pixels.shape[0]; b++)
        {
            parts.Add(RunEncoder(pixels.narrow(0, b, 1)));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Encodes in overlapping tiles of <paramref name="tileX"/>×<paramref name="tileY"/> pixels (overlap in pixels).</summary>
    public Tensor EncodeTiled(Tensor image, int tileX = 512, int tileY = 512, int overlap = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        Tensor pixels = ToPixels(image);
        double scale = 1.0 / DownscaleRatio;
        int channels = LatentChannels;
        Tensor sum = TiledScale.Apply(pixels, RunEncoder, tileX, tileY, overlap, scale, channels, cancellationToken).Add(TiledScale.Apply(pixels, RunEncoder, tileX * 2, tileY / 2, overlap, scale, channels, cancellationToken)).Add(TiledScale.Apply(pixels, RunEncoder, tileX / 2, tileY * 2, overlap, scale, channels, cancellationToken));
        return sum.Div(3.0).MoveToOuterDisposeScope();
    }

    /// <summary>Centre-crops an IMAGE [B, H, W, C] so that H and W are multiples of <paramref name="ratio"/>.</summary>
    public static Tensor CropToMultiple(Tensor image, int ratio)
    {
        ArgumentNullException.ThrowIfNull(image);
        Tensor result = image.alias();
        for (int d = 1; d <= 2; d++)
        {
            long size = image.shape[d];
            long kept = size / ratio * ratio;
            if (kept != size)
            {
                result = result.narrow(d, size % ratio / 2, kept);
            }
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();

    private Tensor ToPixels(Tensor image)
    {
        Tensor rgb = image.shape[3] > 3 ? image[.., .., .., ..3] : image;
        return CropToMultiple(rgb, DownscaleRatio).permute(0, 3, 1, 2).to_type(ScalarType.Float32);
    }

    private Tensor RunDecoder(Tensor latent)
    {
        using var scope = NewDisposeScope();
        return Network.Decode(latent.to(ComputeType, Device)).to(ScalarType.Float32, CPU).MoveToOuterDisposeScope();
    }

    private Tensor RunEncoder(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        Tensor input = pixels.Mul(2.0).Sub(1.0).to(ComputeType, Device);
        return Network.EncodeMean(input).to(ScalarType.Float32, CPU).MoveToOuterDisposeScope();
    }

    private static Tensor ToImage(Tensor raw) =>
        raw.Add(1.0).Div(2.0).Clamp(0.0, 1.0).permute(0, 2, 3, 1).contiguous();
}
