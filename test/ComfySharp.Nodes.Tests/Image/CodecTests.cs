using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Torch.Images;
using SkiaSharp;
using Xunit;

namespace ComfySharp.Nodes.Tests.Image;

public sealed class CodecTests
{
    [Fact]
    public void Pixel_conversion_truncates_and_clips()
    {
        using var image = T.Of([0.5f, 1.2f, -0.1f, 0.999f, 1f / 255f, 0.2f], 1, 2, 3);
        PixelBuffer pixels = ImageTensors.ToPixels(image);
        Assert.Equal(new byte[] { 127, 255, 0, 254, 1, 51 }, pixels.Pixels);
        Assert.Equal((2, 1, 3), (pixels.Width, pixels.Height, pixels.Channels));
        using var back = ImageTensors.FromPixels(pixels);
        T.Shape(back, 1, 1, 2, 3);
        T.Equal([127f / 255f, 1f, 0f, 254f / 255f, 1f / 255f, 51f / 255f], back);
    }

    [Fact]
    public void Png_with_text_chunks_reads_back_with_an_independent_decoder()
    {
        var pixels = new PixelBuffer(3, 2, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        byte[] png = PngFile.Encode(pixels, 4, [new("prompt", "{\"1\": {}}"), new("workflow", "{\"nodes\": [\"\\u00e9\"]}"), new("note", "caf\u00e9 \u4e2d")]);

        // Chunk order and types, parsed by hand here (not through PngFile).
        var chunks = new List<(string Type, byte[] Body)>();
        for (int p = 8; p < png.Length;)
        {
            int length = (png[p] << 24) | (png[p + 1] << 16) | (png[p + 2] << 8) | png[p + 3];
            chunks.Add((Encoding.ASCII.GetString(png, p + 4, 4), png[(p + 8)..(p + 8 + length)]));
            var crc = new System.IO.Hashing.Crc32();
            crc.Append(png.AsSpan(p + 4, length + 4));
            uint stored = (uint)((png[p + 8 + length] << 24) | (png[p + 9 + length] << 16) | (png[p + 10 + length] << 8) | png[p + 11 + length]);
            Assert.Equal(stored, crc.GetCurrentHashAsUInt32());
            p += 12 + length;
        }
        Assert.Equal(["IHDR", "tEXt", "tEXt", "iTXt", "IDAT", "IEND"], chunks.Select(c => c.Type));
        Assert.Equal("prompt\0{\"1\": {}}", Encoding.Latin1.GetString(chunks[1].Body));
        Assert.Equal(2, chunks[0].Body[9]); // colour type RGB

        // Pixels through Skia's decoder.
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(3, bitmap.Width);
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(0, 0));
        Assert.Equal(new SKColor(70, 80, 90), bitmap.GetPixel(2, 1));

        var texts = PngFile.ReadText(png);
        Assert.Equal(["prompt", "workflow", "note"], texts.Select(t => t.Keyword));
        Assert.Equal("caf\u00e9 \u4e2d", texts[2].Text);
    }

    [Fact]
    public void Png_is_readable_by_python_zlib_when_python_is_available()
    {
        string? python = FindPython();
        if (python is null)
        {
            Assert.Skip("python3 is not installed");
        }
        var pixels = new PixelBuffer(2, 2, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252]);
        string file = Path.Combine(Path.GetTempPath(), $"comfysharp-py-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(file, PngFile.Encode(pixels, 1, [new("prompt", "{\"a\": 1}")]));
        try
        {
            const string script = """
import sys, struct, zlib
d = open(sys.argv[1], 'rb').read()
p, idat, out = 8, b'', []
while p < len(d):
    n, = struct.unpack('>I', d[p:p+4]); t = d[p+4:p+8]; body = d[p+8:p+8+n]
    assert zlib.crc32(t + body) == struct.unpack('>I', d[p+8+n:p+12+n])[0]
    if t == b'tEXt': out.append(body.decode('latin-1'))
    if t == b'IDAT': idat += body
    p += 12 + n
raw = zlib.decompress(idat)
w, h, bpp = 2, 2, 3
rows, prev = [], bytes(w * bpp)
for y in range(h):
    f = raw[y * (w * bpp + 1)]; line = bytearray(raw[y * (w * bpp + 1) + 1:(y + 1) * (w * bpp + 1)])
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pp = a + b - c; pa, pb, pc = abs(pp - a), abs(pp - b), abs(pp - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = bytes(line)
print(out[0].replace('\x00', '='), list(b''.join(rows)))
""";
            var psi = new ProcessStartInfo(python, ["-c", script, file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(psi)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
            Assert.Equal("prompt={\"a\": 1} [1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252]", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Png_compression_level_changes_the_stream_but_not_the_pixels()
    {
        var random = new Random(5);
        byte[] data = new byte[64 * 64 * 3];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((i / 3 % 64) + random.Next(4));
        }
        var pixels = new PixelBuffer(64, 64, 3, data);
        byte[] fast = PngFile.Encode(pixels, 1);
        byte[] smaller = PngFile.Encode(pixels, 9);
        Assert.True(smaller.Length <= fast.Length);
        foreach (byte[] png in new[] { fast, smaller })
        {
            var decoded = ImageDecoder.Decode(png, 1 << 20);
            Assert.Equal(data, decoded.Frames[0].Rgba.WithChannels(3).Pixels);
            Assert.False(decoded.Frames[0].HasAlpha);
        }
    }

    [Fact]
    public void Inserting_text_into_a_skia_png_puts_it_after_the_header()
    {
        var pixels = new PixelBuffer(1, 1, 4, [1, 2, 3, 255]);
        using var bitmap = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.SetPixel(0, 0, new SKColor(1, 2, 3));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        byte[] withText = PngFile.InsertText(data.ToArray(), [new("workflow", "{}")]);
        Assert.Equal(["IHDR", "tEXt"], PngFile.Chunks(withText).Take(2).Select(c => c.Type));
        Assert.Equal("{}", PngFile.ReadText(withText).Single().Text);
        Assert.Equal(pixels.Pixels[..3], ImageDecoder.Decode(withText, 100).Frames[0].Rgba.Pixels[..3]);
    }

    [Fact]
    public void Compressed_text_chunks_are_read()
    {
        var pixels = new PixelBuffer(1, 1, 3, [0, 0, 0]);
        byte[] png = PngFile.Encode(pixels, 1);
        using var body = new MemoryStream();
        body.Write("workflow\0\0"u8);
        using (var z = new ZLibStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write("{\"x\": 1}"u8);
        }
        // A zTXt chunk built by hand: PngFile.InsertText only writes tEXt/iTXt, so splice it in raw.
        byte[] chunk = BuildChunk("zTXt", body.ToArray());
        byte[] spliced = [.. png[..33], .. chunk, .. png[33..]];
        Assert.Equal("{\"x\": 1}", PngFile.ReadText(spliced).Single().Text);
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(123456789.125, "123456789.125")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(0.0, "0.0")]
    public void Python_float_repr(double value, string expected) => Assert.Equal(expected, PythonJson.FormatFloat(value));

    [Fact]
    public void Python_json_dumps_format()
    {
        var node = JsonNode.Parse("""{"a": [1, 2.0, 3.5e-7, "é\n\"\u007f"], "b": {"c": true, "d": null}, "e": 18446744073709551615}""");
        Assert.Equal("{\"a\": [1, 2.0, 3.5e-07, \"\\u00e9\\n\\\"\\u007f\"], \"b\": {\"c\": true, \"d\": null}, \"e\": 18446744073709551615}", PythonJson.Serialize(node));
        var built = new JsonObject { ["x"] = 8.0, ["y"] = 7L, ["z"] = "\U0001F600" };
        Assert.Equal("{\"x\": 8.0, \"y\": 7, \"z\": \"\\ud83d\\ude00\"}", PythonJson.Serialize(built));
        Assert.Equal("{}", PythonJson.Serialize(new JsonObject()));
    }

    [Fact]
    public void Garbage_and_unknown_formats_raise_clear_errors()
    {
        var error = Assert.Throws<ImageFormatException>(() => ImageDecoder.Decode("this is not an image"u8.ToArray(), 1 << 20));
        Assert.Contains("cannot identify image file", error.Message, StringComparison.Ordinal);
        Assert.Throws<ImageFormatException>(() => ImageDecoder.Decode([], 1 << 20));
    }

    [Fact]
    public void Truncated_png_never_crashes()
    {
        var pixels = new PixelBuffer(32, 32, 3, Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)(i * 7)).ToArray());
        byte[] png = PngFile.Encode(pixels, 1);
        foreach (int length in new[] { 8, 20, 40, png.Length / 2, png.Length - 12 })
        {
            try
            {
                var decoded = ImageDecoder.Decode(png[..length], 1 << 20);
                Assert.Equal(32, decoded.Frames[0].Rgba.Width);
            }
            catch (ImageFormatException)
            {
                // A clear error is as good as a partial picture.
            }
        }
    }

    [Fact]
    public void Decompression_bomb_is_refused_before_decoding()
    {
        // A valid header claiming 60000 × 60000 pixels with a tiny body.
        byte[] header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, 60000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 60000);
        header[8] = 8;
        header[9] = 2;
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(new byte[60001 * 4]);
        }
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. BuildChunk("IHDR", header), .. BuildChunk("IDAT", idat.ToArray()), .. BuildChunk("IEND", [])];
        var error = Assert.Throws<ImageFormatException>(() => ImageDecoder.Decode(png, 16384L * 16384L));
        Assert.Contains("exceeds the limit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 2, 3)]
    [InlineData(2, 2, 3)]
    [InlineData(3, 2, 3)]
    [InlineData(4, 2, 3)]
    [InlineData(5, 3, 2)]
    [InlineData(6, 3, 2)]
    [InlineData(7, 3, 2)]
    [InlineData(8, 3, 2)]
    public void Exif_orientations_match_their_definitions(int orientation, int width, int height)
    {
        // Source 2×3 (w×h) grey values 0..5 row-major: [0 1; 2 3; 4 5].
        var source = new PixelBuffer(2, 3, 1, [0, 1, 2, 3, 4, 5]);
        PixelBuffer turned = Orientation.Apply(source, orientation);
        Assert.Equal((width, height), (turned.Width, turned.Height));
        byte[] expected = orientation switch
        {
            1 => [0, 1, 2, 3, 4, 5],
            2 => [1, 0, 3, 2, 5, 4],
            3 => [5, 4, 3, 2, 1, 0],
            4 => [4, 5, 2, 3, 0, 1],
            5 => [0, 2, 4, 1, 3, 5],
            6 => [4, 2, 0, 5, 3, 1],
            7 => [5, 3, 1, 4, 2, 0],
            _ => [1, 3, 5, 0, 2, 4],
        };
        Assert.Equal(expected, turned.Pixels);
    }

    internal static byte[] BuildChunk(string type, byte[] body)
    {
        byte[] chunk = new byte[body.Length + 12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, body.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        body.CopyTo(chunk, 8);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(chunk.AsSpan(4, body.Length + 4));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + body.Length), crc.GetCurrentHashAsUInt32());
        return chunk;
    }

    private static string? FindPython()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string candidate = Path.Combine(dir, "python3");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
