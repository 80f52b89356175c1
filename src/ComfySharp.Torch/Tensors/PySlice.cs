using static TorchSharp.torch;

namespace ComfySharp.Torch.Tensors;

/// <summary>
/// Python slice semantics on one dimension (<c>t[..., start:stop]</c>): negative bounds count from
/// the end, bounds are clamped to the dimension, an empty range yields an empty view. Node
/// behaviours described with slices (crops, composites) keep the reference's results at the borders.
/// </summary>
public static class PySlice
{
    /// <summary>The clamped [start, stop) range of a Python slice over a dimension of <paramref name="length"/>.</summary>
    public static (long Start, long Length) Range(long length, long? start, long? stop)
    {
        long s = Normalise(start ?? 0, length);
        long e = Normalise(stop ?? length, length);
        return (s, Math.Max(0, e - s));
    }

    /// <summary>A view of <paramref name="value"/> sliced along <paramref name="dim"/> like <c>[start:stop]</c>.</summary>
    public static Tensor Slice(Tensor value, long dim, long? start, long? stop)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (dim < 0)
        {
            dim += value.dim();
        }
        var (s, len) = Range(value.shape[dim], start, stop);
        return value.narrow(dim, s, len);
    }

    private static long Normalise(long index, long length)
    {
        if (index < 0)
        {
            index += length;
        }
        return Math.Clamp(index, 0, length);
    }
}
