using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Vae;

/// <summary>
/// Applies a resolution-changing function (VAE decode or encode) to overlapping tiles and blends them
/// with linear feathering over the overlap, as the reference's tiled scaling does, so results match
/// its tiled nodes closely.
/// </summary>
public static class TiledScale
{
    /// <summary>
    /// Runs <paramref name="function"/> on tiles of <paramref name="samples"/> [B, C, H, W] of
    /// <paramref name="tileY"/>×<paramref name="tileX"/> input cells overlapping by <paramref name="overlap"/>;
    /// the output is <paramref name="scale"/> times the input size with <paramref name="outChannels"/> channels.
    /// </summary>
    public static Tensor Apply(Tensor samples, Func<Tensor, Tensor> function, int tileX, int tileY, int overlap, double scale, int outChannels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(function);
        long height = samples.shape[2], width = samples.shape[3];
        long[] outShape = [1, outChannels, Scaled(height, scale), Scaled(width, scale)];
        var results = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (long b = 0; b < samples.shape[0]; b++)
        {
            Tensor s = samples.narrow(0, b, 1);
            if (height <= tileY && width <= tileX)
            {
                results.Add(function(s).to(ScalarType.Float32, CPU));
                continue;
            }
            Tensor output = zeros(outShape);
            Tensor weights = zeros(outShape);
            foreach (long y in Positions(height, tileY, overlap))
            {
                foreach (long x in Positions(width, tileX, overlap))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var tileScope = NewDisposeScope();
                    long posY = Math.Max(0, Math.Min(height - overlap, y));
                    long posX = Math.Max(0, Math.Min(width - overlap, x));
                    long lenY = Math.Min(tileY, height - posY);
                    long lenX = Math.Min(tileX, width - posX);
                    Tensor piece = function(s.narrow(2, posY, lenY).narrow(3, posX, lenX)).to(ScalarType.Float32, CPU);
                    Tensor mask = ones_like(piece);
                    long feather = Scaled(overlap, scale);
                    for (int d = 2; d < 4; d++)
                    {
                        if (feather >= mask.shape[d])
                        {
                            continue;
                        }
                        for (long t = 0; t < feather; t++)
                        {
                            double a = (t + 1) / (double)feather;
                            mask.narrow(d, t, 1).MulInPlace(a);
                            mask.narrow(d, mask.shape[d] - 1 - t, 1).MulInPlace(a);
                        }
                    }
                    long outY = Scaled(posY, scale), outX = Scaled(posX, scale);
                    output.narrow(2, outY, mask.shape[2]).narrow(3, outX, mask.shape[3]).AddInPlace(piece * mask);
                    weights.narrow(2, outY, mask.shape[2]).narrow(3, outX, mask.shape[3]).AddInPlace(mask);
                }
            }
            results.Add(output / weights);
        }
        return cat(results, 0).MoveToOuterDisposeScope();
    }

    private static long Scaled(long value, double scale) => (long)Math.Round(value * scale, MidpointRounding.ToEven);

    private static IEnumerable<long> Positions(long size, int tile, int overlap)
    {
        if (size <= tile)
        {
            yield return 0;
            yield break;
        }
        long step = Math.Max(1, tile - overlap);
        for (long p = 0; p < size - overlap; p += step)
        {
            yield return p;
        }
    }
}
