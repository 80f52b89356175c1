using ComfySharp.Nodes.Image;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

public sealed class GifFrameTests
{
    private static readonly byte[][] Palette = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]];

    [Fact]
    public void LoadImage_returns_every_gif_frame_as_a_batch()
    {
        using var context = new ImagingTestContext();
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "anim.gif"), Gif([[1, 2, 3, 0], [3, 3, 1, 1]], transparentIndex: null));
        Assert.Contains("anim.gif", LoadImage.Image.GetOptions(context));
        var output = context.Run(new LoadImage(), (LoadImage.Image, "anim.gif"));
        var images = (Tensor)output.Values[0]!;
        T.Shape(images, 2, 2, 2, 3);
        T.Equal([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0], images);
        // No transparency: one 64×64 zero mask per frame.
        T.Shape((Tensor)output.Values[1]!, 2, 64, 64);
    }

    [Fact]
    public void A_transparent_palette_entry_becomes_the_mask()
    {
        using var context = new ImagingTestContext();
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "hole.gif"), Gif([[1, 0, 2, 3]], transparentIndex: 0));
        var output = context.Run(new LoadImage(), (LoadImage.Image, "hole.gif"));
        T.Shape((Tensor)output.Values[0]!, 1, 2, 2, 3);
        T.Equal([0, 1, 0, 0], (Tensor)output.Values[1]!);
    }

    // A 2×2 GIF89a with a 4-colour global palette; each frame is LZW-coded with a clear code before
    // every pixel so the code width stays at 3 bits.
    private static byte[] Gif(byte[][] frames, int? transparentIndex)
    {
        var bytes = new List<byte>();
        bytes.AddRange("GIF89a"u8.ToArray());
        bytes.AddRange([2, 0, 2, 0, 0b1000_0001, 0, 0]);
        foreach (byte[] colour in Palette)
        {
            bytes.AddRange(colour);
        }
        foreach (byte[] frame in frames)
        {
            // Graphic control: disposal "none", optional transparent index, 10 ms delay.
            bytes.AddRange([0x21, 0xF9, 4, (byte)(transparentIndex is null ? 0b0000_0100 : 0b0000_0101), 1, 0, (byte)(transparentIndex ?? 0), 0]);
            bytes.AddRange([0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0]);
            bytes.Add(2); // LZW minimum code size
            var codes = new List<int>();
            foreach (byte pixel in frame)
            {
                codes.Add(4);
                codes.Add(pixel);
            }
            codes.Add(5);
            byte[] packed = new byte[((codes.Count * 3) + 7) / 8];
            for (int i = 0; i < codes.Count; i++)
            {
                for (int bit = 0; bit < 3; bit++)
                {
                    if ((codes[i] >> bit & 1) != 0)
                    {
                        int position = (i * 3) + bit;
                        packed[position / 8] |= (byte)(1 << (position % 8));
                    }
                }
            }
            bytes.Add((byte)packed.Length);
            bytes.AddRange(packed);
            bytes.Add(0);
        }
        bytes.Add(0x3B);
        return [.. bytes];
    }
}
