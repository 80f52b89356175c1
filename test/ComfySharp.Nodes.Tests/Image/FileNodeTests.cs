using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Mask;
using ComfySharp.Torch.Images;
using SkiaSharp;
using Xunit;
using static TorchSharp.torch;
using PreviewImage = ComfySharp.Nodes.Image.PreviewImage;

namespace ComfySharp.Nodes.Tests.Image;

public sealed class FileNodeTests
{
    private static readonly byte[] RgbaPixels = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 51];

    private static string WritePng(ImagingTestContext context, string name, PixelBuffer pixels)
    {
        string path = Path.Combine(context.Directories.Input, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PngFile.Encode(pixels, 4));
        return path;
    }

    [Fact]
    public void LoadImage_returns_rgb_and_inverted_alpha()
    {
        using var context = new ImagingTestContext();
        WritePng(context, "rgba.png", new PixelBuffer(2, 2, 4, RgbaPixels));
        var output = context.Run(new LoadImage(), (LoadImage.Image, "rgba.png"));
        var image = (Tensor)output.Values[0]!;
        var mask = (Tensor)output.Values[1]!;
        T.Shape(image, 1, 2, 2, 3);
        T.Shape(mask, 1, 2, 2);
        T.Equal([1, 0, 0, 0, 1, 0, 0, 0, 1, 10f / 255, 20f / 255, 30f / 255], image);
        T.Equal([0, 1f - (128f / 255), 1, 1f - (51f / 255)], mask);
    }

    [Fact]
    public void LoadImage_without_alpha_gives_a_64_pixel_zero_mask()
    {
        using var context = new ImagingTestContext();
        WritePng(context, "rgb.png", new PixelBuffer(3, 1, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]));
        var output = context.Run(new LoadImage(), (LoadImage.Image, "rgb.png"));
        T.Shape((Tensor)output.Values[0]!, 1, 1, 3, 3);
        var mask = (Tensor)output.Values[1]!;
        T.Shape(mask, 1, 64, 64);
        Assert.Equal(0f, mask.abs().sum().item<float>());
    }

    [Fact]
    public void LoadImage_applies_the_exif_orientation_of_a_jpeg()
    {
        using var context = new ImagingTestContext();
        // 16×8 picture, left half red, right half blue, tagged "rotate 90° clockwise to view" (6).
        using var bitmap = new SKBitmap(new SKImageInfo(16, 8, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                bitmap.SetPixel(x, y, x < 8 ? new SKColor(255, 0, 0) : new SKColor(0, 0, 255));
            }
        }
        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "turned.jpg"), WithOrientation(jpeg.ToArray(), 6));
        var image = (Tensor)context.Run(new LoadImage(), (LoadImage.Image, "turned.jpg")).Values[0]!;
        T.Shape(image, 1, 16, 8, 3);
        // After a clockwise quarter turn the left (red) half is on top.
        Assert.True(image[0, 2, 4, 0].item<float>() > 0.8f && image[0, 2, 4, 2].item<float>() < 0.2f);
        Assert.True(image[0, 13, 4, 2].item<float>() > 0.8f && image[0, 13, 4, 0].item<float>() < 0.2f);
    }

    [Fact]
    public async Task LoadImage_fingerprint_validation_and_options()
    {
        using var context = new ImagingTestContext();
        string path = WritePng(context, "b.png", new PixelBuffer(1, 1, 3, [1, 2, 3]));
        WritePng(context, "a.png", new PixelBuffer(1, 1, 3, [1, 2, 3]));
        File.WriteAllText(Path.Combine(context.Directories.Input, "notes.txt"), "x");
        WritePng(context, "sub/c.png", new PixelBuffer(1, 1, 3, [1, 2, 3]));

        Assert.Equal(["a.png", "b.png"], LoadImage.Image.GetOptions(context));
        Assert.Equal(["a.png", "b.png", "notes.txt"], LoadImageMask.Image.GetOptions(context));

        var node = new LoadImage();
        Assert.True(node.HasFingerprint);
        var constants = new NodeInputs(new Dictionary<string, object?> { ["image"] = "b.png" });
        object? hash = await node.FingerprintInputsAsync(constants, context);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), hash);

        Assert.True((await node.ValidateInputsAsync(constants, new Dictionary<string, string>(), context)).IsValid);
        Assert.True((await node.ValidateInputsAsync(new NodeInputs(new Dictionary<string, object?> { ["image"] = "sub/c.png" }), new Dictionary<string, string>(), context)).IsValid);
        var missing = await node.ValidateInputsAsync(new NodeInputs(new Dictionary<string, object?> { ["image"] = "nope.png" }), new Dictionary<string, string>(), context);
        Assert.Equal(ValidationResult.Fail("Invalid image file: nope.png"), missing);
        var escaping = await node.ValidateInputsAsync(new NodeInputs(new Dictionary<string, object?> { ["image"] = "../../etc/passwd" }), new Dictionary<string, string>(), context);
        Assert.False(escaping.IsValid);
        Assert.Equal(["image"], node.Schema.Validation!.Parameters);
    }

    [Fact]
    public void LoadImage_reads_annotated_names_from_other_directories()
    {
        using var context = new ImagingTestContext();
        Directory.CreateDirectory(context.Directories.Output);
        File.WriteAllBytes(Path.Combine(context.Directories.Output, "out.png"), PngFile.Encode(new PixelBuffer(1, 1, 3, [0, 51, 255]), 1));
        var image = (Tensor)context.Run(new LoadImage(), (LoadImage.Image, "out.png [output]")).Values[0]!;
        T.Equal([0, 0.2f, 1], image);
    }

    [Fact]
    public void LoadImage_reports_corrupt_and_missing_files_clearly()
    {
        using var context = new ImagingTestContext();
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var corrupt = Assert.Throws<ImageFormatException>(() => context.Run(new LoadImage(), (LoadImage.Image, "broken.png")));
        Assert.Contains("broken.png", corrupt.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<FileNotFoundException>(() => context.Run(new LoadImage(), (LoadImage.Image, "missing.png")));
        Assert.Equal("Invalid image file: missing.png", missing.Message);
    }

    [Fact]
    public void LoadImage_respects_the_configured_pixel_cap()
    {
        using var context = new ImagingTestContext(new ServerOptions { MaxImagePixels = 100 });
        WritePng(context, "big.png", new PixelBuffer(20, 20, 3, new byte[1200]));
        var error = Assert.Throws<ImageFormatException>(() => context.Run(new LoadImage(), (LoadImage.Image, "big.png")));
        Assert.Contains("exceeds the limit of 100 pixels", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alpha", new[] { 0f, 1f - (128f / 255), 1f, 1f - (51f / 255) })]
    [InlineData("red", new[] { 1f, 0f, 0f, 10f / 255 })]
    [InlineData("green", new[] { 0f, 1f, 0f, 20f / 255 })]
    [InlineData("blue", new[] { 0f, 0f, 1f, 30f / 255 })]
    public void LoadImageMask_returns_the_chosen_channel(string channel, float[] expected)
    {
        using var context = new ImagingTestContext();
        WritePng(context, "rgba.png", new PixelBuffer(2, 2, 4, RgbaPixels));
        var mask = context.RunTensor(new LoadImageMask(), (LoadImageMask.Image, "rgba.png"), (LoadImageMask.Channel, channel));
        T.Shape(mask, 1, 2, 2);
        T.Equal(expected, mask);
    }

    [Fact]
    public void LoadImageMask_alpha_of_an_opaque_image_is_zero()
    {
        using var context = new ImagingTestContext();
        WritePng(context, "rgb.png", new PixelBuffer(2, 1, 3, [1, 2, 3, 4, 5, 6]));
        T.Equal([0, 0], context.RunTensor(new LoadImageMask(), (LoadImageMask.Image, "rgb.png"), (LoadImageMask.Channel, "alpha")));
    }

    [Fact]
    public void SaveImage_writes_numbered_pngs_with_metadata()
    {
        using var context = new ImagingTestContext();
        context.PngInfo = JsonNode.Parse("""{"workflow": {"nodes": [], "version": 0.4}, "other": "é"}""")!.AsObject();
        using var images = T.Of([0.5f, 0f, 1f, 0.25f, 0.75f, 1f, 0f, 0f, 0f, 1f, 1f, 1f], 2, 1, 2, 3);
        var output = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "ComfyUI"));
        Assert.Empty(output.Values);
        Assert.Equal("""{"images":[{"filename":"ComfyUI_00001_.png","subfolder":"","type":"output"},{"filename":"ComfyUI_00002_.png","subfolder":"","type":"output"}]}""", output.Ui!.ToJsonString());

        byte[] png = File.ReadAllBytes(Path.Combine(context.Directories.Output, "ComfyUI_00001_.png"));
        var texts = PngFile.ReadText(png);
        Assert.Equal(["prompt", "workflow", "other"], texts.Select(t => t.Keyword));
        Assert.Equal("""{"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["2", 0]}}}""", texts[0].Text);
        Assert.Equal("""{"nodes": [], "version": 0.4}""", texts[1].Text);
        Assert.Equal("\"\\u00e9\"", texts[2].Text);
        Assert.Equal(["IHDR", "tEXt", "tEXt", "tEXt", "IDAT", "IEND"], PngFile.Chunks(png).Select(c => c.Type));
        var decoded = ImageDecoder.Decode(png, 1000).Frames[0];
        Assert.False(decoded.HasAlpha);
        Assert.Equal(new byte[] { 127, 0, 255, 63, 191, 255 }, decoded.Rgba.WithChannels(3).Pixels);

        // The next run continues the counter.
        var again = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "ComfyUI"));
        Assert.Equal("ComfyUI_00003_.png", again.Ui!["images"]![0]!["filename"]!.GetValue<string>());
    }

    [Fact]
    public void SaveImage_without_metadata_writes_no_text_chunks()
    {
        using var context = new ImagingTestContext(new ServerOptions { DisableMetadata = true });
        context.PngInfo = new JsonObject { ["workflow"] = new JsonObject() };
        using var images = T.Of([0f, 0f, 0f], 1, 1, 1, 3);
        context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "plain"));
        byte[] png = File.ReadAllBytes(Path.Combine(context.Directories.Output, "plain_00001_.png"));
        Assert.Empty(PngFile.ReadText(png));
    }

    [Fact]
    public void SaveImage_subfolders_substitutions_and_containment()
    {
        using var context = new ImagingTestContext();
        using var images = T.Of(new float[2 * 3 * 3], 1, 2, 3, 3);
        var ui = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "cap/test_%width%x%height%_%batch_num%_%nope%")).Ui!;
        Assert.Equal("test_3x2_0_%nope%_00001_.png", ui["images"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal("cap", ui["images"]![0]!["subfolder"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(context.Directories.Output, "cap", "test_3x2_0_%nope%_00001_.png")));

        var year = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "%year%-%month%/d%day%")).Ui!;
        Assert.Equal(DateTime.Now.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), year["images"]![0]!["subfolder"]!.GetValue<string>());

        foreach (string prefix in new[] { "../escape", "/etc/evil", "a/../../b" })
        {
            var error = Assert.Throws<InvalidOperationException>(() => context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, prefix)));
            Assert.Contains("Saving image outside the output folder is not allowed.", error.Message, StringComparison.Ordinal);
        }
        // Climbing out and back in stays inside.
        var inside = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "x/../y/z")).Ui!;
        Assert.Equal("y", inside["images"]![0]!["subfolder"]!.GetValue<string>());
    }

    [Fact]
    public void SaveImage_counter_scan_follows_the_reference_rules()
    {
        using var context = new ImagingTestContext();
        Directory.CreateDirectory(context.Directories.Output);
        foreach (string name in new[] { "ComfyUI_00007_.png", "ComfyUI_temp_abcde_00020_.png", "comfyui_00050_.png", "ComfyUIx_00090_.png", "ComfyUI_12_x.png", "ComfyUI_00003_.png" })
        {
            File.WriteAllText(Path.Combine(context.Directories.Output, name), "");
        }
        using var images = T.Of(new float[3], 1, 1, 1, 3);
        var ui = context.Run(new SaveImage(), (SaveImage.Images, images), (SaveImage.FilenamePrefix, "ComfyUI")).Ui!;
        Assert.Equal("ComfyUI_00013_.png", ui["images"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal(0, ImageSaver.ParseCounter("temp_abcde_00020_.png"));
        Assert.Equal(123456, ImageSaver.ParseCounter("123456_.png"));
    }

    [Fact]
    public async Task PreviewImage_writes_into_temp_with_a_stable_random_prefix()
    {
        using var context = new ImagingTestContext();
        var node = new PreviewImage();
        Assert.Matches("^ComfyUI_temp_[abcdefghijklmnopqrstupvxyz]{5}$", node.Prefix);
        using var images = T.Of([1f, 0f, 0f], 1, 1, 1, 3);
        var first = (await node.ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["images"] = images }), context)).Ui!;
        var second = (await node.ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["images"] = images }), context)).Ui!;
        Assert.Equal($"{node.Prefix}_00001_.png", first["images"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal($"{node.Prefix}_00002_.png", second["images"]![0]!["filename"]!.GetValue<string>());
        Assert.Equal("temp", first["images"]![0]!["type"]!.GetValue<string>());
        // Previews are written by the background writer; readers wait for it as /view does.
        string written = Path.Combine(context.Directories.Temp, $"{node.Prefix}_00001_.png");
        DeferredFileWrites.WaitUntilWritten(written);
        Assert.True(File.Exists(written));
        Assert.True(Enumerable.Range(0, 5).Select(_ => new PreviewImage().Prefix).Append(node.Prefix).Distinct().Count() > 1);
    }

    [Fact]
    public void Normpath_matches_python()
    {
        Assert.Equal(".", ImageSaver.NormalisePath(""));
        Assert.Equal("a/b", ImageSaver.NormalisePath("a//./b/"));
        Assert.Equal("../x", ImageSaver.NormalisePath("../x"));
        Assert.Equal("../../b", ImageSaver.NormalisePath("a/../../../b"));
        Assert.Equal("/b", ImageSaver.NormalisePath("/../b"));
    }

    // Inserts an APP1 Exif segment with one Orientation entry after the JPEG's SOI marker.
    private static byte[] WithOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian header, IFD at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // Orientation, SHORT, 1
            0, 0, 0, 0, // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        int length = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }
}
