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
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(2)]
    [InlineData(1)]
    public void Rows_favouring_different_filters_decode_to_the_same_pixels(int channels)
    {
        const int Width = 48, Height = 40;
        var random = new Random(11);
        byte[] data = new byte[Width * Height * channels];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
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
                    data[(((y * Width) + x) * channels) + c] = (byte)value;
                }
            }
        }
        var pixels = new PixelBuffer(Width, Height, channels, data);
        byte[] png = PngFile.Encode(pixels, 1);

        byte[] idat = PngFile.Chunks(png).Where(c => c.Type == "IDAT").SelectMany(c => c.Body).ToArray();
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }
        byte[] raw = inflated.ToArray();
        int stride = (Width * channels) + 1;
        Assert.Equal(Height * stride, raw.Length);
        var filters = Enumerable.Range(0, Height).Select(y => raw[y * stride]).ToHashSet();
        Assert.All(filters, f => Assert.InRange(f, (byte)0, (byte)4));
        Assert.True(filters.Count >= 3, $"only filters {string.Join(", ", filters)} were chosen");

        Assert.Equal(data, Unfilter(raw, Width * channels, channels));
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
                int p = a + b - c;
                int paeth = Math.Abs(p - a) <= Math.Abs(p - b) && Math.Abs(p - a) <= Math.Abs(p - c) ? a : Math.Abs(p - b) <= Math.Abs(p - c) ? b : c;
                int predicted = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => paeth };
                result[(y * rowBytes) + i] = (byte)(raw[(y * (rowBytes + 1)) + 1 + i] + predicted);
            }
        }
        return result;
    }
}
