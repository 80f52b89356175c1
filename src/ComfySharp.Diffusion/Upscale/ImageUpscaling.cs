using ComfySharp.Diffusion.Vae;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Upscale;

/// <summary>
/// Runs an <see cref="UpscaleNetwork"/> over IMAGE batches the way the reference's
/// <c>ImageUpscaleWithModel</c> does: 512-pixel tiles overlapping by 32, blended with feathered
/// weights, the tile halved after an out-of-memory error (down to 128), the result clamped to 0..1.
/// </summary>
public static class ImageUpscaling
{
    /// <summary>The first tile size tried.</summary>
    public const int DefaultTile = 512;

    /// <summary>Overlap between neighbouring tiles.</summary>
    public const int Overlap = 32;

    /// <summary>Below this tile size an out-of-memory error is passed on.</summary>
    public const int MinimumTile = 128;

    /// <summary>
    /// Upscales IMAGE [B, H, W, C] with <paramref name="network"/>; <paramref name="progress"/> receives
    /// (tiles done, tiles expected) after each tile.
    /// </summary>
    public static Tensor Run(UpscaleNetwork network, Tensor image, Action<long, long>? progress = null, int tile = DefaultTile, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 4 || image.shape[3] != network.InChannels)
        {
            throw new ArgumentException(
                $"{network.Architecture} takes images with {network.InChannels} channels; got shape [{string.Join(", ", image.shape)}].", nameof(image));
        }
        using var scope = NewDisposeScope();
        Tensor input = image.permute(0, 3, 1, 2).to(ScalarType.Float32, network.Device);
        while (true)
        {
            try
            {
                long steps = input.shape[0] * TileSteps(input.shape[3], input.shape[2], tile, Overlap);
                long done = 0;
                Tensor output = TiledScale.Apply(input, piece =>
                {
                    Tensor result = network.Upscale(piece);
                    progress?.Invoke(++done, steps);
                    return result;
                }, tile, tile, Overlap, network.Scale, network.OutChannels, cancellationToken);
                return output.permute(0, 2, 3, 1).Clamp(0.0, 1.0).contiguous().MoveToOuterDisposeScope();
            }
            catch (Exception e) when (IsOutOfMemory(e) && tile / 2 >= MinimumTile)
            {
                tile /= 2;
            }
        }
    }

    /// <summary>The reference's count of tiles for a progress bar: ceil(h / (tile − overlap)) · ceil(w / (tile − overlap)).</summary>
    public static long TileSteps(long width, long height, int tile, int overlap)
    {
        long step = tile - overlap;
        return ((height + step - 1) / step) * ((width + step - 1) / step);
    }

    /// <summary>Whether <paramref name="error"/> is an allocation failure of libtorch or .NET.</summary>
    public static bool IsOutOfMemory(Exception error) =>
        error is OutOfMemoryException
        || (error is System.Runtime.InteropServices.ExternalException
            && (error.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                || error.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
                || error.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)));
}
