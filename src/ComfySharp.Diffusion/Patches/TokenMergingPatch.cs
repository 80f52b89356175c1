using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Token merging for Stable Diffusion (ToMe SD, Bolya &amp; Hoffman 2023): at the full-resolution UNet
/// level, the self-attention queries are split into destination tokens (one per 2×2 cell) and source
/// tokens; the <c>ratio</c>·N source tokens most similar (cosine) to some destination are averaged into
/// it, attention runs on the shorter sequence, and its output is copied back to the merged tokens.
/// Keys and values stay complete.
/// </summary>
/// <remarks>
/// The reference picks each cell's destination with torch's global generator; here a generator seeded
/// from the call (σ, block, transformer, token count) picks it, so that a prompt gives the same result
/// every time it runs.
/// </remarks>
public sealed class TokenMergingPatch
{
    private const long Stride = 2;
    private readonly double _ratio;
    private Func<Tensor, Tensor>? _unmerge;

    private TokenMergingPatch(double ratio) => _ratio = ratio;

    /// <summary>The hooks of a model patched with token merging at <paramref name="ratio"/>.</summary>
    public static ModelOptions Apply(ModelOptions options, double ratio)
    {
        ArgumentNullException.ThrowIfNull(options);
        var patch = new TokenMergingPatch(ratio);
        return options with
        {
            SelfAttentionPatches = [.. options.SelfAttentionPatches, patch.MergeQueries],
            SelfAttentionOutputPatches = [.. options.SelfAttentionOutputPatches, patch.Unmerge],
        };
    }

    private (Tensor Query, Tensor Key, Tensor Value) MergeQueries(Tensor query, Tensor key, Tensor value, UNetHookContext context)
    {
        long[] shape = context.OriginalShape;
        long tokens = query.shape[1];
        long originalHeight = shape[^2], originalWidth = shape[^1];
        long downsample = (long)Math.Ceiling(Math.Sqrt((originalHeight * originalWidth) / tokens));
        if (downsample > 1)
        {
            _unmerge = null;
            return (query, key, value);
        }
        long r = (long)(tokens * _ratio);
        using var generator = new Generator(CallSeed(context, tokens), CPU);
        var (merge, unmerge) = BipartiteSoftMatching(query, originalWidth, originalHeight, Stride, Stride, r, generator);
        _unmerge = unmerge;
        return (merge(query), key, value);
    }

    private Tensor Unmerge(Tensor output, UNetHookContext context)
    {
        Func<Tensor, Tensor>? unmerge = _unmerge;
        _unmerge = null;
        return unmerge is null ? output : unmerge(output);
    }

    private static ulong CallSeed(UNetHookContext context, long tokens)
    {
        ulong hash = 14695981039346656037UL;
        void Mix(ulong v)
        {
            hash ^= v;
            hash *= 1099511628211UL;
        }
        Mix(BitConverter.SingleToUInt32Bits(context.Sigma[0].item<float>()));
        Mix((ulong)context.Block.Kind.Length);
        Mix((ulong)context.Block.Index);
        Mix((ulong)context.TransformerIndex);
        Mix((ulong)tokens);
        return hash;
    }

    /// <summary>
    /// Splits the tokens of <paramref name="metric"/> [B, N, C] (N = <paramref name="height"/>·<paramref name="width"/>)
    /// into one destination per <paramref name="strideY"/>×<paramref name="strideX"/> cell (drawn from
    /// <paramref name="generator"/>, the top-left one when it is null) and sources, and pairs the
    /// <paramref name="r"/> sources most similar to a destination with it. Returns the merge (sources
    /// averaged into their destinations: unmerged sources first, then destinations) and its inverse.
    /// </summary>
    public static (Func<Tensor, Tensor> Merge, Func<Tensor, Tensor> Unmerge) BipartiteSoftMatching(
        Tensor metric, long width, long height, long strideX, long strideY, long r, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(metric);
        static Tensor Identity(Tensor t) => t;
        if (r <= 0 || width == 1 || height == 1)
        {
            return (Identity, Identity);
        }
        long batch = metric.shape[0], tokens = metric.shape[1];
        long cellsHigh = height / strideY, cellsWide = width / strideX;
        Tensor choice = generator is null
            ? zeros([cellsHigh, cellsWide, 1], ScalarType.Int64)
            : randint(strideY * strideX, [cellsHigh, cellsWide, 1], ScalarType.Int64, generator: generator);
        Tensor marks = zeros([cellsHigh, cellsWide, strideY * strideX], ScalarType.Int64);
        marks.scatter_(2, choice, ones_like(choice).neg());
        marks = marks.view(cellsHigh, cellsWide, strideY, strideX).transpose(1, 2).reshape(cellsHigh * strideY, cellsWide * strideX);
        if (cellsHigh * strideY < height || cellsWide * strideX < width)
        {
            Tensor padded = zeros([height, width], ScalarType.Int64);
            padded.narrow(0, 0, cellsHigh * strideY).narrow(1, 0, cellsWide * strideX).copy_(marks);
            marks = padded;
        }
        // Destinations are marked −1 and sources 0: a stable sort lists destinations first, each group in token order.
        var (_, order) = marks.reshape(1, -1, 1).sort(1, descending: false, stable: true);
        long destinations = cellsHigh * cellsWide;
        long sources = tokens - destinations;
        Tensor sourceIndex = order.narrow(1, destinations, sources);
        Tensor destinationIndex = order.narrow(1, 0, destinations);

        (Tensor Sources, Tensor Destinations) Split(Tensor x)
        {
            long c = x.shape[^1];
            return (x.gather(1, sourceIndex.expand(batch, sources, c)), x.gather(1, destinationIndex.expand(batch, destinations, c)));
        }

        Tensor unit = metric / metric.VectorNorm(2, -1, keepdim: true);
        var (a, b) = Split(unit);
        Tensor scores = matmul(a, b.transpose(-1, -2));
        r = Math.Min(sources, r);
        var (nodeMax, nodeIndex) = scores.max(-1);
        var (_, edgeOrder) = nodeMax.sort(-1, descending: true, stable: true);
        Tensor edgeIndex = edgeOrder.unsqueeze(-1);
        Tensor unmergedIndex = edgeIndex.narrow(1, r, sources - r);
        Tensor mergedIndex = edgeIndex.narrow(1, 0, r);
        Tensor targetIndex = nodeIndex.unsqueeze(-1).gather(-2, mergedIndex);
        long kept = sources - r;

        Tensor Merge(Tensor x)
        {
            var (src, dst) = Split(x);
            long n = src.shape[0], c = src.shape[^1];
            Tensor unmerged = src.gather(-2, unmergedIndex.expand(n, kept, c));
            Tensor merged = src.gather(-2, mergedIndex.expand(n, r, c));
            // The mean of each destination and the sources merged into it.
            Tensor target = targetIndex.expand(n, r, c);
            Tensor counts = zeros_like(dst).scatter_add(-2, target, ones_like(merged)).Add(1.0);
            dst = dst.scatter_add(-2, target, merged) / counts;
            return cat([unmerged, dst], 1);
        }

        Tensor Unmerge(Tensor x)
        {
            long c = x.shape[^1];
            Tensor unmerged = x.narrow(-2, 0, kept);
            Tensor dst = x.narrow(-2, kept, x.shape[^2] - kept);
            Tensor src = dst.gather(-2, targetIndex.expand(batch, r, c));
            Tensor output = zeros([batch, tokens, c], x.dtype, x.device);
            output.scatter_(-2, destinationIndex.expand(batch, destinations, c), dst);
            Tensor sourcePositions = sourceIndex.expand(batch, sources, 1);
            output.scatter_(-2, sourcePositions.gather(1, unmergedIndex).expand(batch, kept, c), unmerged);
            output.scatter_(-2, sourcePositions.gather(1, mergedIndex).expand(batch, r, c), src);
            return output;
        }

        return (Merge, Unmerge);
    }
}
