using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

public sealed class CannyTests
{
    private static Tensor Run(Tensor image, double low, double high)
    {
        string root = TestPaths.NewTempDirectory("canny");
        try
        {
            var inputs = new NodeInputs(new Dictionary<string, object?> { ["image"] = image, ["low_threshold"] = low, ["high_threshold"] = high });
            return (Tensor)new Canny().ExecuteAsync(inputs, new ModelNodeTestContext(root)).AsTask().Result.Values[0]!;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Canny written out pixel by pixel in doubles: grayscale, 5×5 Gaussian (σ 1) with reflected borders, Sobel with
    /// replicated borders, magnitude and direction to the nearest 45°, suppression unless larger than both neighbours
    /// along it (0 outside), thresholds, and weak pixels kept when 8-connected to a strong one through weak ones.
    /// </summary>
    private static bool[,] Reference(float[,,] rgb, double low, double high)
    {
        int h = rgb.GetLength(0), w = rgb.GetLength(1);
        var gray = new double[h, w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                gray[y, x] = (0.299 * rgb[y, x, 0]) + (0.587 * rgb[y, x, 1]) + (0.114 * rgb[y, x, 2]);
            }
        }
        double[] g = [.. Enumerable.Range(-2, 5).Select(d => Math.Exp(-d * d / 2.0))];
        double sum = g.Sum();
        static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? (2 * n) - 2 - i : i;
        static int Clamp(int i, int n) => Math.Clamp(i, 0, n - 1);
        var blurred = new double[h, w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double v = 0;
                for (int dy = -2; dy <= 2; dy++)
                {
                    for (int dx = -2; dx <= 2; dx++)
                    {
                        v += g[dy + 2] * g[dx + 2] / (sum * sum) * gray[Reflect(y + dy, h), Reflect(x + dx, w)];
                    }
                }
                blurred[y, x] = v;
            }
        }
        var magnitude = new double[h, w];
        var direction = new int[h, w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double P(int dy, int dx) => blurred[Clamp(y + dy, h), Clamp(x + dx, w)];
                double gx = P(-1, 1) - P(-1, -1) + (2 * (P(0, 1) - P(0, -1))) + P(1, 1) - P(1, -1);
                double gy = P(1, -1) - P(-1, -1) + (2 * (P(1, 0) - P(-1, 0))) + P(1, 1) - P(-1, 1);
                magnitude[y, x] = Math.Sqrt((gx * gx) + (gy * gy) + 1e-6);
                int octant = (int)Math.Round(Math.Atan2(gy, gx) * 180 / Math.PI / 45, MidpointRounding.ToEven);
                direction[y, x] = ((octant % 8) + 8) % 8;
            }
        }
        (int Dy, int Dx)[] step = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)];
        var state = new int[h, w]; // 0 none, 1 weak, 2 strong
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double M(int yy, int xx) => yy < 0 || yy >= h || xx < 0 || xx >= w ? 0 : magnitude[yy, xx];
                var (dy, dx) = step[direction[y, x]];
                bool isMax = magnitude[y, x] - M(y + dy, x + dx) > 0 && magnitude[y, x] - M(y - dy, x - dx) > 0;
                double m = isMax ? magnitude[y, x] : 0;
                state[y, x] = m > high ? 2 : m > low ? 1 : 0;
            }
        }
        var queue = new Queue<(int, int)>();
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (state[y, x] == 2)
                {
                    queue.Enqueue((y, x));
                }
            }
        }
        while (queue.Count > 0)
        {
            var (y, x) = queue.Dequeue();
            foreach (var (dy, dx) in step)
            {
                int yy = y + dy, xx = x + dx;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w && state[yy, xx] == 1)
                {
                    state[yy, xx] = 2;
                    queue.Enqueue((yy, xx));
                }
            }
        }
        var edges = new bool[h, w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                edges[y, x] = state[y, x] == 2;
            }
        }
        return edges;
    }

    [Theory]
    [InlineData(0.2, 0.6)]
    [InlineData(0.4, 0.8)]
    public void Edges_match_a_pixel_by_pixel_computation(double low, double high)
    {
        // Smooth blobs plus a bright square, so that there are strong, weak-linked and isolated weak edges.
        Tensor image = rand([2, 24, 20, 3], generator: new Generator(12)) * tensor(0.3f);
        image[0, 6..16, 5..13] = image[0, 6..16, 5..13] + tensor(0.7f);
        image[1, 2..9, 8..19, 1] = image[1, 2..9, 8..19, 1] + tensor(0.5f);
        Tensor output = Run(image, low, high);
        Assert.Equal([2L, 24, 20, 3], output.shape);
        Assert.True(output[.., .., .., 0].allclose(output[.., .., .., 2]));
        int found = 0;
        for (int b = 0; b < 2; b++)
        {
            float[] data = image[b].contiguous().data<float>().ToArray();
            var rgb = new float[24, 20, 3];
            Buffer.BlockCopy(data, 0, rgb, 0, data.Length * sizeof(float));
            bool[,] expected = Reference(rgb, low, high);
            float[] actual = output[b, .., .., 0].contiguous().data<float>().ToArray();
            for (int y = 0; y < 24; y++)
            {
                for (int x = 0; x < 20; x++)
                {
                    Assert.True(expected[y, x] == (actual[(y * 20) + x] == 1f), $"image {b} pixel ({y}, {x}): expected {expected[y, x]}, got {actual[(y * 20) + x]}");
                    Assert.True(actual[(y * 20) + x] is 0f or 1f);
                    found += expected[y, x] ? 1 : 0;
                }
            }
        }
        Assert.InRange(found, 10, 24 * 20);
    }

    [Fact]
    public void A_flat_image_has_no_edges_and_alpha_is_ignored()
    {
        Tensor output = Run(ones(1, 16, 16, 4) * tensor(0.5f), 0.01, 0.02);
        Assert.Equal([1L, 16, 16, 3], output.shape);
        Assert.Equal(0f, output.abs().sum().item<float>());
    }
}
