using System.IO.Compression;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>
/// The PNG encoder picks a filter per row; each of the five filters has its own code path, so the
/// image here mixes rows that favour different filters and checks that several were chosen and that
/// undoing the filters by the specification gives every pixel back.
/// </summary>
public sealed class PngFilterTests
{
    [Theory]
    [InlineData(3, 48)]
    [InlineData(4, 48)]
    [InlineData(2, 48)]
    [InlineData(1, 48)]
    [InlineData(3, 37)]
    [InlineData(1, 7)]
    [InlineData(4, 100)]
    public void Rows_favouring_different_filters_decode_to_the_same_pixels(int channels, int width)
    {
        const int Height = 40;
        var random = new Random(11);
        byte[] data = new byte[width * Height * channels];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int value = (y % 4) switch
                    {
                        0 => random.Next(256),                   // noise: no filter helps
                        1 => (x * 5) + c,                        // horizontal ramp: Sub
                        2 => (y * 3) + (c * 7),                  // same as the row above: Up
                        _ => (x * 2) + (y * 3) + random.Next(2), // diagonal: Average or Paeth
                    };
                    data[(((y * width) + x) * channels) + c] = (byte)value;
                }
            }
        }
        var pixels = new PixelBuffer(width, Height, channels, data);
        byte[] png = PngFile.Encode(pixels, 1);

        byte[] idat = PngFile.Chunks(png).Where(c => c.Type == "IDAT").SelectMany(c => c.Body).ToArray();
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }
        byte[] raw = inflated.ToArray();
        int stride = (width * channels) + 1;
        Assert.Equal(Height * stride, raw.Length);
        var filters = Enumerable.Range(0, Height).Select(y => raw[y * stride]).ToHashSet();
        Assert.All(filters, f => Assert.InRange(f, (byte)0, (byte)4));
        Assert.True(filters.Count >= 3, $"only filters {string.Join(", ", filters)} were chosen");

        Assert.Equal(data, Unfilter(raw, width * channels, channels));
        for (int y = 0; y < Height; y++)
        {
            Assert.Equal(CheapestFilter(data, y, width * channels, channels), raw[y * stride]);
        }
    }

    // The heuristic by its definition, one byte at a time: the filter whose output bytes, read as
    // signed, have the smallest sum of magnitudes; the lowest filter number on a tie.
    private static int CheapestFilter(byte[] data, int y, int rowBytes, int bpp)
    {
        long bestScore = long.MaxValue;
        int best = -1;
        for (int filter = 0; filter < 5; filter++)
        {
            long score = 0;
            for (int i = 0; i < rowBytes; i++)
            {
                int x = data[(y * rowBytes) + i];
                int a = i >= bpp ? data[(y * rowBytes) + i - bpp] : 0;
                int b = y > 0 ? data[((y - 1) * rowBytes) + i] : 0;
                int c = i >= bpp && y > 0 ? data[((y - 1) * rowBytes) + i - bpp] : 0;
                score += Math.Abs((int)(sbyte)(byte)(x - Predict(filter, a, b, c)));
            }
            if (score < bestScore)
            {
                bestScore = score;
                best = filter;
            }
        }
        return best;
    }

    // Reverses the PNG row filters as the specification defines them (written independently of the encoder).
    private static byte[] Unfilter(byte[] raw, int rowBytes, int bpp)
    {
        int height = raw.Length / (rowBytes + 1);
        byte[] result = new byte[height * rowBytes];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (rowBytes + 1)];
            for (int i = 0; i < rowBytes; i++)
            {
                int a = i >= bpp ? result[(y * rowBytes) + i - bpp] : 0;
                int b = y > 0 ? result[((y - 1) * rowBytes) + i] : 0;
                int c = i >= bpp && y > 0 ? result[((y - 1) * rowBytes) + i - bpp] : 0;
                result[(y * rowBytes) + i] = (byte)(raw[(y * (rowBytes + 1)) + 1 + i] + Predict(filter, a, b, c));
            }
        }
        return result;
    }

    // The predictor of each PNG filter type from the left (a), above (b) and upper-left (c) bytes, by the specification.
    private static int Predict(int filter, int a, int b, int c)
    {
        int p = a + b - c;
        int paeth = Math.Abs(p - a) <= Math.Abs(p - b) && Math.Abs(p - a) <= Math.Abs(p - c) ? a : Math.Abs(p - b) <= Math.Abs(p - c) ? b : c;
        return filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => paeth };
    }
}
