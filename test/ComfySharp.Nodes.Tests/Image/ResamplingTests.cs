using ComfySharp.Torch.Images;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>Resampling checked on small cases against the definitions of each method.</summary>
public sealed class ResamplingTests
{
    private static Tensor Row(params float[] values) => T.Of(values, 1, 1, 1, values.Length);

    [Fact]
    public void Nearest_exact_takes_the_pixel_under_each_output_centre()
    {
        // Source index = floor((i + 0.5) · in / out).
        T.Equal([0, 2, 3], Resampling.CommonUpscale(Row(0, 1, 2, 3), 3, 1, "nearest-exact", "disabled"));
        T.Equal([5, 5, 9, 9, 9], Resampling.CommonUpscale(Row(5, 9), 5, 1, "nearest-exact", "disabled"));
    }

    [Fact]
    public void Bilinear_uses_half_pixel_centres_and_clamps_at_the_border()
    {
        // Source position (i + 0.5) · in / out − 0.5, clamped to [0, in − 1].
        T.Equal([0, 2.5f, 7.5f, 10], Resampling.CommonUpscale(Row(0, 10), 4, 1, "bilinear", "disabled"), 1e-6f);
    }

    [Fact]
    public void Area_averages_the_covered_source_pixels()
    {
        T.Equal([0.5f, 2.5f], Resampling.CommonUpscale(Row(0, 1, 2, 3), 2, 1, "area", "disabled"), 1e-6f);
        // Windows [floor(i·in/out), ceil((i+1)·in/out)).
        T.Equal([0.5f, 1.5f], Resampling.CommonUpscale(Row(0, 1, 2), 2, 1, "area", "disabled"), 1e-6f);
    }

    [Fact]
    public void Bicubic_is_the_keys_kernel_with_a_minus_075()
    {
        float[] source = [0, 10, 3, 7, 1];
        int outSize = 8;
        float[] expected = new float[outSize];
        for (int i = 0; i < outSize; i++)
        {
            double x = ((i + 0.5) * source.Length / outSize) - 0.5;
            int floor = (int)Math.Floor(x);
            double t = x - floor, sum = 0;
            for (int k = -1; k <= 2; k++)
            {
                int index = Math.Clamp(floor + k, 0, source.Length - 1);
                sum += source[index] * Cubic(Math.Abs(t - k));
            }
            expected[i] = (float)sum;
        }
        T.Equal(expected, Resampling.CommonUpscale(Row(source), outSize, 1, "bicubic", "disabled"), 1e-5f);
    }

    [Fact]
    public void Centre_crop_removes_equal_amounts_from_both_sides()
    {
        using var image = T.Of([0, 1, 2, 3, 4, 5, 6, 7], 1, 1, 2, 4);
        // 4×2 → 2×2: x = round((4 − 4 · (1 / 2)) / 2) = 1, so columns 1 and 2 remain.
        T.Equal([1, 2, 5, 6], Resampling.CommonUpscale(image, 2, 2, "bilinear", "center"), 1e-6f);
    }

    [Fact]
    public void Lanczos_matches_the_continuous_filter_within_fixed_point_rounding()
    {
        var random = new Random(3);
        float[] values = Enumerable.Range(0, 9 * 7).Select(_ => random.Next(256) / 255f).ToArray();
        using var image = T.Of(values, 1, 1, 7, 9);
        foreach ((int w, int h) in new[] { (4, 3), (17, 11), (9, 14) })
        {
            float[] actual = T.Values(Resampling.CommonUpscale(image, w, h, "lanczos", "disabled"));
            double[] horizontal = new double[7 * w];
            for (int y = 0; y < 7; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    horizontal[(y * w) + x] = Clip(Convolve(i => Math.Round(values[(y * 9) + i] * 255), 9, w, x));
                }
            }
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    double expected = Clip(Convolve(i => horizontal[(i * w) + x], 7, h, y));
                    Assert.True(Math.Abs((expected / 255) - actual[(y * w) + x]) <= 2.0 / 255, $"{w}x{h} at ({x},{y}): {expected / 255} vs {actual[(y * w) + x]}");
                }
            }
        }
        // Same size: an 8-bit round trip only.
        T.Equal(values, Resampling.CommonUpscale(image, 9, 7, "lanczos", "disabled"), 1e-6f);
    }

    [Fact]
    public void Lanczos_goes_through_8_bit_truncation()
    {
        using var image = T.Of([0.5f, 0.5f, 0.5f, 0.5f], 1, 1, 2, 2);
        T.Equal([127f / 255, 127f / 255, 127f / 255, 127f / 255, 127f / 255, 127f / 255], Resampling.CommonUpscale(image, 3, 2, "lanczos", "disabled"));
    }

    [Fact]
    public void Bislerp_keeps_parallel_vectors_and_slerps_orthogonal_ones()
    {
        // Two channels, one row, two pixels.
        using var parallel = T.Of([1, 3, 0, 0], 1, 2, 1, 2);
        // dot ≈ 1: each output takes its lower neighbour, at source positions 0, 0.25, 0.75, 1.
        T.Equal([1, 1, 1, 3, 0, 0, 0, 0], Resampling.CommonUpscale(parallel, 4, 1, "bislerp", "disabled"));

        using var orthogonal = T.Of([1, 0, 0, 1], 1, 2, 1, 2);
        float c = (float)Math.Cos(Math.PI / 8), s = (float)Math.Sin(Math.PI / 8);
        // Ratios 0, 0.25, 0.75 between (1,0) and (0,1), then (0,1) itself.
        T.Equal([1, c, s, 0, 0, s, c, 1], Resampling.CommonUpscale(orthogonal, 4, 1, "bislerp", "disabled"), 1e-6f);

        using var opposite = T.Of([2, -2, 0, 0], 1, 2, 1, 2);
        // dot ≈ −1: linear interpolation.
        T.Equal([2, 1, -1, -2, 0, 0, 0, 0], Resampling.CommonUpscale(opposite, 4, 1, "bislerp", "disabled"), 1e-6f);
    }

    [Fact]
    public void Zero_sized_targets_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Resampling.CommonUpscale(Row(1, 2), 0, 1, "bilinear", "disabled"));
        Assert.Throws<ArgumentException>(() => Resampling.CommonUpscale(Row(1, 2), 2, 1, "sideways", "disabled"));
    }

    private static double Cubic(double x)
    {
        const double a = -0.75;
        return x <= 1 ? ((((a + 2) * x) - (a + 3)) * x * x) + 1
            : x < 2 ? ((((a * x) - (5 * a)) * x) + (8 * a)) * x - (4 * a)
            : 0;
    }

    private static double Convolve(Func<int, double> source, int inSize, int outSize, int o)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(1, scale), support = 3 * filterScale;
        double center = (o + 0.5) * scale, sum = 0, total = 0;
        int min = Math.Max(0, (int)(center - support + 0.5)), max = Math.Min(inSize, (int)(center + support + 0.5));
        for (int i = min; i < max; i++)
        {
            double w = PillowResample.LanczosFilter((i - center + 0.5) / filterScale);
            sum += source(i) * w;
            total += w;
        }
        return sum / total;
    }

    private static double Clip(double v) => Math.Clamp(Math.Floor(v + 0.5), 0, 255);
}
