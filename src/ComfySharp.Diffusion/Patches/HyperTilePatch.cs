using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// HyperTile: self-attention queries at the shallow UNet widths are cut into spatial tiles that
/// attend separately (the tile grid drawn per call like the reference, with Python's generator), and
/// the output is stitched back.
/// </summary>
public sealed class HyperTilePatch
{
    private readonly int _modelChannels;
    private readonly HashSet<long> _widths = [];
    private readonly long _latentTileSize;
    private readonly int _swapSize;
    private readonly bool _scaleDepth;
    private long _counter = 1;
    private (long TilesHigh, long TilesWide, long Height, long Width)? _pending;

    private HyperTilePatch(int modelChannels, int tileSize, int swapSize, int maxDepth, bool scaleDepth)
    {
        _modelChannels = modelChannels;
        long width = modelChannels;
        for (int depth = 0; depth <= maxDepth; depth++)
        {
            _widths.Add(width);
            width *= 2;
        }
        _latentTileSize = Math.Max(32, tileSize) / 8;
        _swapSize = swapSize;
        _scaleDepth = scaleDepth;
    }

    /// <summary>The hooks of a model patched with HyperTile.</summary>
    public static ModelOptions Apply(ModelOptions options, int modelChannels, int tileSize, int swapSize, int maxDepth, bool scaleDepth)
    {
        ArgumentNullException.ThrowIfNull(options);
        var patch = new HyperTilePatch(modelChannels, tileSize, swapSize, maxDepth, scaleDepth);
        return options with
        {
            SelfAttentionPatches = [.. options.SelfAttentionPatches, patch.TileQueries],
            SelfAttentionOutputPatches = [.. options.SelfAttentionOutputPatches, patch.Untile],
        };
    }

    /// <summary>
    /// <paramref name="value"/> divided by one of its first <paramref name="maxOptions"/> divisors not below
    /// <paramref name="minValue"/>, chosen by Python's <c>random.seed(counter); randint</c>.
    /// </summary>
    public static long RandomDivisor(long value, long minValue, int maxOptions, long counter)
    {
        minValue = Math.Min(minValue, value);
        var quotients = new List<long>();
        for (long i = minValue; i <= value && quotients.Count < maxOptions; i++)
        {
            if (value % i == 0)
            {
                quotients.Add(value / i);
            }
        }
        int index = (int)new PythonRandom((ulong)counter).RandInt(0, quotients.Count - 1);
        return quotients[index];
    }

    /// <summary>Height and width with height·width = <paramref name="tokens"/> closest to <paramref name="aspectRatio"/> = width / height.</summary>
    public static (long Height, long Width) FindHeightWidth(long tokens, double aspectRatio)
    {
        long h = (long)Math.Round(Math.Sqrt(tokens * aspectRatio), MidpointRounding.ToEven);
        long w = (long)Math.Round(Math.Sqrt(tokens / aspectRatio), MidpointRounding.ToEven);
        if (h * w == tokens)
        {
            return (h, w);
        }
        if (h != 0 && tokens % h == 0)
        {
            return (h, tokens / h);
        }
        if (w != 0 && tokens % w == 0)
        {
            return (tokens / w, w);
        }
        (long, long) best = (0, 0);
        double bestDistance = double.PositiveInfinity;
        for (long i = 2; i <= tokens; i++)
        {
            if (tokens % i == 0)
            {
                double distance = Math.Abs((tokens / i) / (double)i - aspectRatio);
                if (distance < bestDistance)
                {
                    bestDistance = distance;
                    best = (i, tokens / i);
                }
            }
        }
        return best;
    }

    private (Tensor, Tensor, Tensor) TileQueries(Tensor q, Tensor k, Tensor v, UNetHookContext hooks)
    {
        long channels = q.shape[^1];
        if (!_widths.Contains(channels))
        {
            return (q, k, v);
        }
        long[] shape = hooks.OriginalShape;
        double aspect = shape[^1] / (double)shape[^2];
        var (h, w) = FindHeightWidth(q.shape[1], aspect);
        if (h == 0 || w == 0)
        {
            return (q, k, v);
        }
        long factor = _scaleDepth ? 1L << (int)(channels / _modelChannels - 1) : 1;
        long tilesHigh = RandomDivisor(h, _latentTileSize * factor, _swapSize, _counter++);
        long tilesWide = RandomDivisor(w, _latentTileSize * factor, _swapSize, _counter++);
        if (tilesHigh * tilesWide > 1)
        {
            long b = q.shape[0], th = h / tilesHigh, tw = w / tilesWide;
            q = q.reshape(b, tilesHigh, th, tilesWide, tw, channels).permute(0, 1, 3, 2, 4, 5).reshape(b * tilesHigh * tilesWide, th * tw, channels);
            _pending = (tilesHigh, tilesWide, h, w);
        }
        return (q, k, v);
    }

    private Tensor Untile(Tensor output, UNetHookContext hooks)
    {
        if (_pending is not { } p)
        {
            return output;
        }
        _pending = null;
        long th = p.Height / p.TilesHigh, tw = p.Width / p.TilesWide, channels = output.shape[^1];
        long b = output.shape[0] / (p.TilesHigh * p.TilesWide);
        return output.reshape(b, p.TilesHigh, p.TilesWide, th, tw, channels).permute(0, 1, 3, 2, 4, 5).reshape(b, p.TilesHigh * th * p.TilesWide * tw, channels);
    }
}
