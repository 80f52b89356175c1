using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// FreeU (Si et al. 2023): before the two deepest decoder levels, the first half of the backbone
/// channels is amplified and the low frequencies of the skip connection are damped.
/// </summary>
public static class FreeUPatch
{
    /// <summary>
    /// The output-block patch: at width 4·<paramref name="modelChannels"/> (b1, s1) and 2·<paramref name="modelChannels"/> (b2, s2).
    /// Version 1 multiplies by b; version 2 by 1 + (b − 1)·(the channel mean of h, min-max normalised per item).
    /// </summary>
    public static OutputBlockPatch Create(int modelChannels, double b1, double b2, double s1, double s2, bool version2)
    {
        var scales = new Dictionary<long, (double B, double S)> { [modelChannels * 4L] = (b1, s1), [modelChannels * 2L] = (b2, s2) };
        return (h, skip, _) =>
        {
            if (!scales.TryGetValue(h.shape[1], out var scale))
            {
                return (h, skip);
            }
            long half = h.shape[1] / 2;
            Tensor first = h.narrow(1, 0, half);
            Tensor factor;
            if (version2)
            {
                Tensor mean = h.mean([1], keepdim: true);
                Tensor flat = mean.view(mean.shape[0], -1);
                Tensor max = flat.max(-1, keepdim: true).values.view(-1, 1, 1, 1);
                Tensor min = flat.min(-1, keepdim: true).values.view(-1, 1, 1, 1);
                Tensor normalised = (mean - min) / (max - min);
                factor = normalised.Mul(scale.B - 1).Add(1.0);
                first = first * factor;
            }
            else
            {
                first = first.Mul(scale.B);
            }
            Tensor patched = cat([first, h.narrow(1, half, h.shape[1] - half)], 1);
            return (patched, FourierFilter(skip, 1, scale.S));
        };
    }

    /// <summary>Scales the centred 2t×2t lowest spatial frequencies of <paramref name="x"/> by <paramref name="scale"/> (the reference's Fourier_filter).</summary>
    public static Tensor FourierFilter(Tensor x, int threshold, double scale)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long[] dims = [-2, -1];
        Tensor freq = fft.fftshift(fft.fftn(x.to_type(ScalarType.Float32), dim: dims), dims);
        long height = x.shape[^2], width = x.shape[^1];
        Tensor mask = ones(x.shape, ScalarType.Float32, x.device);
        (long rowStart, long rowEnd) = PythonSlice(height / 2 - threshold, height / 2 + threshold, height);
        (long colStart, long colEnd) = PythonSlice(width / 2 - threshold, width / 2 + threshold, width);
        if (rowEnd > rowStart && colEnd > colStart)
        {
            mask.narrow(-2, rowStart, rowEnd - rowStart).narrow(-1, colStart, colEnd - colStart).MulInPlace(scale);
        }
        Tensor filtered = fft.ifftn(fft.ifftshift(freq * mask, dims), dim: dims).real;
        return filtered.to_type(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Python's slice bounds [start:end] over a dimension of <paramref name="size"/> (negative start counts from the end).</summary>
    private static (long Start, long End) PythonSlice(long start, long end, long size)
    {
        if (start < 0)
        {
            start = Math.Max(0, start + size);
        }
        return (Math.Min(start, size), Math.Min(end, size));
    }
}
