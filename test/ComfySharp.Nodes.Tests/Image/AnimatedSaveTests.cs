using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.TestKit;
using SkiaSharp;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>
/// SaveAnimatedPNG and SaveAnimatedWEBP: the files are taken apart here with an independent chunk reader,
/// and their frames decoded by Skia must equal the input (exactly when lossless).
/// </summary>
public sealed class AnimatedSaveTests
{
    private const int W = 5, H = 3, Frames = 3;

    // Frame f, pixel (x, y), channel c: distinct bytes per frame.
    private static byte Pixel(int f, int x, int y, int c) => (byte)((f * 80) + (x * 30) + (y * 7) + (c * 50));

    private static Tensor Batch(int frames = Frames) => tensor(
        Enumerable.Range(0, frames).SelectMany(f => Enumerable.Range(0, H).SelectMany(y => Enumerable.Range(0, W).SelectMany(x =>
            Enumerable.Range(0, 3).Select(c => Pixel(f, x, y, c) / 255f)))).ToArray(),
        [frames, H, W, 3]);

    private static ImagingTestContext Context() => new()
    {
        PngInfo = new JsonObject { ["workflow"] = new JsonObject { ["nodes"] = new JsonArray() } },
    };

    private static async Task<(byte[] File, JsonObject Ui)> SaveAsync(ComfyNode node, ImagingTestContext context, Tensor images, params (string Name, object? Value)[] extra)
    {
        var values = new Dictionary<string, object?> { ["images"] = images, ["filename_prefix"] = "anim/clip", ["fps"] = 4.0 };
        foreach (var (name, value) in extra)
        {
            values[name] = value;
        }
        var output = await node.ExecuteAsync(new NodeInputs(values), context);
        var entry = output.Ui!["images"]![0]!;
        Assert.Equal("anim", (string?)entry["subfolder"]);
        Assert.Equal("output", (string?)entry["type"]);
        return (File.ReadAllBytes(Path.Combine(context.Directories.Output, "anim", (string)entry["filename"]!)), output.Ui);
    }

    // ---- an independent PNG chunk reader and writer (own CRC table)

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c;
    }).ToArray();

    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return c ^ 0xFFFFFFFFu;
    }

    private static List<(string Type, byte[] Body)> PngChunks(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = new List<(string, byte[])>();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            byte[] typeAndBody = png[(at + 4)..(at + 8 + length)];
            Assert.Equal(Crc(typeAndBody), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)));
            chunks.Add((Encoding.Latin1.GetString(typeAndBody, 0, 4), typeAndBody[4..]));
            at += 12 + length;
        }
        return chunks;
    }

    private static byte[] Png(params (string Type, byte[] Body)[] chunks)
    {
        var file = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        foreach (var (type, body) in chunks)
        {
            byte[] typeAndBody = [.. Encoding.Latin1.GetBytes(type), .. body];
            file.AddRange(BitConverter.IsLittleEndian ? BitConverter.GetBytes(body.Length).Reverse() : BitConverter.GetBytes(body.Length));
            file.AddRange(typeAndBody);
            file.AddRange(BitConverter.GetBytes(Crc(typeAndBody)).Reverse());
        }
        return [.. file];
    }

    // ---- Skia decoding to RGBA, frame by frame

    private static byte[] DecodeFrame(byte[] data, int frame)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(data)) ?? throw new InvalidOperationException("Skia cannot open the file.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] pixels = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, handle.AddrOfPinnedObject(), new SKCodecOptions(frame));
            Assert.Equal(SKCodecResult.Success, result);
        }
        finally
        {
            handle.Free();
        }
        return pixels;
    }

    private static int MaxDifference(byte[] rgba, int frame)
    {
        int worst = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    worst = Math.Max(worst, Math.Abs(rgba[(((y * W) + x) * 4) + c] - Pixel(frame, x, y, c)));
                }
                Assert.Equal(255, rgba[(((y * W) + x) * 4) + 3]);
            }
        }
        return worst;
    }

    [Fact]
    public async Task Animated_png_has_the_apng_chunks_every_frame_and_the_workflow()
    {
        using var context = Context();
        using var images = Batch();
        var (png, ui) = await SaveAsync(new SaveAnimatedPNG(), context, images, ("compress_level", 9L));
        Assert.Equal("clip_00001_.png", (string?)ui["images"]![0]!["filename"]);
        Assert.Equal("[true]", ui["animated"]!.ToJsonString());

        var chunks = PngChunks(png);
        Assert.Equal(["IHDR", "tEXt", "tEXt", "acTL", "fcTL", "IDAT", "fcTL", "fdAT", "fcTL", "fdAT", "IEND"], chunks.Select(c => c.Type));
        byte[] header = chunks[0].Body;
        Assert.Equal((W, H, 8, 2), (BinaryPrimitives.ReadInt32BigEndian(header), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)), (int)header[8], (int)header[9]));
        Assert.Equal((Frames, 0), (BinaryPrimitives.ReadInt32BigEndian(chunks[3].Body), BinaryPrimitives.ReadInt32BigEndian(chunks[3].Body.AsSpan(4))));
        var sequence = new List<uint>();
        foreach (var (type, body) in chunks.Where(c => c.Type is "fcTL" or "fdAT"))
        {
            sequence.Add(BinaryPrimitives.ReadUInt32BigEndian(body));
            if (type == "fcTL")
            {
                Assert.Equal((W, H, 0, 0), (BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(8)),
                    BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(12)), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(16))));
                // 4 fps: 250/1000 s per frame.
                Assert.Equal((250, 1000), (BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(20)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(22))));
            }
        }
        Assert.Equal([0u, 1, 2, 3, 4], sequence);
        Assert.Equal("prompt", Encoding.Latin1.GetString(chunks[1].Body).Split('\0')[0]);
        Assert.Equal("workflow\0{\"nodes\": []}", Encoding.Latin1.GetString(chunks[2].Body));

        // Frame 0 is the default image every decoder shows; the others are rebuilt as plain PNGs from their fdAT data.
        Assert.Equal(0, MaxDifference(DecodeFrame(png, 0), 0));
        var data = chunks.Where(c => c.Type == "fdAT").Select(c => c.Body[4..]).ToList();
        for (int f = 1; f < Frames; f++)
        {
            byte[] still = Png(("IHDR", header), ("IDAT", data[f - 1]), ("IEND", []));
            Assert.Equal(0, MaxDifference(DecodeFrame(still, 0), f));
        }
    }

    [Fact]
    public async Task Lossless_animated_webp_holds_every_frame_exactly_and_the_workflow_in_exif()
    {
        using var context = Context();
        using var images = Batch();
        var (webp, ui) = await SaveAsync(new SaveAnimatedWEBP(), context, images, ("lossless", true), ("quality", 80L), ("method", "default"));
        Assert.Equal("clip_00001_.webp", (string?)ui["images"]![0]!["filename"]);
        Assert.Equal("[true]", ui["animated"]!.ToJsonString());

        Assert.Equal("RIFF", Encoding.ASCII.GetString(webp, 0, 4));
        Assert.Equal((uint)(webp.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(4)));
        Assert.Equal("WEBP", Encoding.ASCII.GetString(webp, 8, 4));
        var chunks = new List<(string FourCC, byte[] Payload)>();
        for (int at = 12; at < webp.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(webp.AsSpan(at + 4));
            chunks.Add((Encoding.ASCII.GetString(webp, at, 4), webp[(at + 8)..(at + 8 + length)]));
            at += 8 + length + (length & 1);
        }
        Assert.Equal(["VP8X", "ANIM", "ANMF", "ANMF", "ANMF", "EXIF"], chunks.Select(c => c.FourCC));
        byte[] vp8x = chunks[0].Payload;
        Assert.Equal(0x02 | 0x08, vp8x[0]); // animation and EXIF, no alpha
        Assert.Equal((W - 1, H - 1), (vp8x[4] | (vp8x[5] << 8) | (vp8x[6] << 16), vp8x[7] | (vp8x[8] << 8) | (vp8x[9] << 16)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(chunks[1].Payload.AsSpan(4))); // loop forever
        foreach (var (_, frame) in chunks.Where(c => c.FourCC == "ANMF"))
        {
            Assert.Equal(250, frame[12] | (frame[13] << 8) | (frame[14] << 16));
            Assert.Equal("VP8L", Encoding.ASCII.GetString(frame, 16, 4));
        }

        // EXIF: a little-endian TIFF whose ASCII tags hold "key:json".
        byte[] exif = chunks[^1].Payload;
        Assert.Equal("II*\0", Encoding.Latin1.GetString(exif, 0, 4));
        int ifd = BinaryPrimitives.ReadInt32LittleEndian(exif.AsSpan(4));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(exif.AsSpan(ifd));
        var tags = new Dictionary<int, string>();
        for (int i = 0; i < count; i++)
        {
            int entry = ifd + 2 + (i * 12);
            int length = BinaryPrimitives.ReadInt32LittleEndian(exif.AsSpan(entry + 4));
            int offset = length <= 4 ? entry + 8 : BinaryPrimitives.ReadInt32LittleEndian(exif.AsSpan(entry + 8));
            Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(exif.AsSpan(entry + 2)));
            tags[BinaryPrimitives.ReadUInt16LittleEndian(exif.AsSpan(entry))] = Encoding.Latin1.GetString(exif, offset, length - 1);
        }
        Assert.Equal("workflow:{\"nodes\": []}", tags[0x010F]);
        Assert.StartsWith("prompt:{\"1\": ", tags[0x0110], StringComparison.Ordinal);

        using var codec = SKCodec.Create(new SKMemoryStream(webp));
        Assert.Equal(Frames, codec.FrameCount);
        Assert.All(codec.FrameInfo, info => Assert.Equal(250, info.Duration));
        for (int f = 0; f < Frames; f++)
        {
            Assert.Equal(0, MaxDifference(DecodeFrame(webp, f), f));
        }
    }

    [Fact]
    public async Task Lossy_animated_webp_frames_stay_close_to_the_input()
    {
        // Flat colours, one per frame: lossy VP8 keeps them within a few levels (busy pixels would suffer from chroma subsampling).
        byte[][] colours = [[200, 40, 90], [10, 180, 250], [128, 128, 128]];
        using var images = tensor(colours.SelectMany(c => Enumerable.Repeat(c, 16 * 16).SelectMany(p => p.Select(v => v / 255f))).ToArray(), [3L, 16, 16, 3]);
        using var context = Context();
        var (webp, _) = await SaveAsync(new SaveAnimatedWEBP(), context, images, ("lossless", false), ("quality", 90L), ("method", "slowest"));
        Assert.Contains("VP8 ", Encoding.ASCII.GetString(webp), StringComparison.Ordinal);
        for (int f = 0; f < 3; f++)
        {
            byte[] rgba = DecodeFrame(webp, f);
            for (int i = 0; i < 16 * 16; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    Assert.InRange(Math.Abs(rgba[(i * 4) + c] - colours[f][c]), 0, 6);
                }
            }
        }
    }

    [Fact]
    public async Task One_frame_is_a_still_file_and_not_animated()
    {
        using var context = Context();
        using var images = Batch(1);
        var (png, pngUi) = await SaveAsync(new SaveAnimatedPNG(), context, images, ("compress_level", 4L));
        Assert.Equal("[false]", pngUi["animated"]!.ToJsonString());
        Assert.Equal(["IHDR", "tEXt", "tEXt", "IDAT", "IEND"], PngChunks(png).Select(c => c.Type));
        Assert.Equal(0, MaxDifference(DecodeFrame(png, 0), 0));

        var (webp, webpUi) = await SaveAsync(new SaveAnimatedWEBP(), context, images, ("lossless", true), ("quality", 80L), ("method", "fastest"));
        Assert.Equal("[false]", webpUi["animated"]!.ToJsonString());
        Assert.Equal(0x08, webp[20]); // VP8X: EXIF only
        Assert.Equal(0, MaxDifference(DecodeFrame(webp, 0), 0));
    }

    [Fact]
    public async Task Empty_batches_and_bad_rates_are_clear_errors()
    {
        using var context = Context();
        using var empty = zeros([0L, H, W, 3]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => SaveAsync(new SaveAnimatedPNG(), context, empty, ("compress_level", 4L)));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<ArgumentException>(() => SaveAsync(new SaveAnimatedWEBP(), context, empty, ("lossless", true), ("quality", 80L), ("method", "default")));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
        using var images = Batch(2);
        await Assert.ThrowsAsync<ArgumentException>(() => SaveAsync(new SaveAnimatedPNG(), context, images, ("compress_level", 4L), ("fps", 0.0)));
        Assert.False(Directory.Exists(Path.Combine(context.Directories.Output, "anim")) && Directory.EnumerateFiles(Path.Combine(context.Directories.Output, "anim")).Any());
    }

    [Fact]
    public async Task The_executed_message_carries_the_file_and_the_animated_flag()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 8, ["height"] = 6, ["batch_size"] = 3, ["color"] = 0x336699 } },
            ["2"] = new JsonObject
            {
                ["class_type"] = "SaveAnimatedWEBP",
                ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "run", ["fps"] = 6.0, ["lossless"] = true, ["quality"] = 80, ["method"] = "default" },
            },
        };
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        var executed = await socket.WaitForAsync(f => f.Type == "executed", TimeSpan.FromSeconds(60));
        var output = executed.Data!["output"]!;
        Assert.Equal("""{"images":[{"filename":"run_00001_.webp","subfolder":"","type":"output"}],"animated":[true]}""", output.ToJsonString());
        byte[] file = await server.Http.GetByteArrayAsync("view?filename=run_00001_.webp&type=output", TestContext.Current.CancellationToken);
        using var codec = SKCodec.Create(new SKMemoryStream(file));
        Assert.Equal(3, codec.FrameCount);
        byte[] rgba = DecodeFrame(file, 2);
        Assert.Equal([0x33, 0x66, 0x99, 255], rgba[..4]);
    }
}
