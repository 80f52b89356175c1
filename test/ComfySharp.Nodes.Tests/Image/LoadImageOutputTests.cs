using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Torch.Images;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>LoadImageOutput: LoadImage over the output directory.</summary>
public sealed class LoadImageOutputTests
{
    private static readonly byte[] Rgba = [255, 0, 0, 255, 0, 128, 0, 0, 0, 0, 255, 51, 10, 20, 30, 204];

    [Fact]
    public void Loads_an_image_of_the_output_folder_with_its_alpha_as_mask()
    {
        using var context = new ImagingTestContext();
        Directory.CreateDirectory(Path.Combine(context.Directories.Output, "sub"));
        File.WriteAllBytes(Path.Combine(context.Directories.Output, "sub", "made.png"), PngFile.Encode(new PixelBuffer(2, 2, 4, Rgba), 4));

        var output = context.Run(new LoadImageOutput(), (LoadImageOutput.Image, "sub/made.png"));
        var image = (Tensor)output.Values[0]!;
        var mask = (Tensor)output.Values[1]!;
        Assert.Equal(new long[] { 1, 2, 2, 3 }, image.shape);
        float[] expectedImage = Enumerable.Range(0, 4).SelectMany(p => Enumerable.Range(0, 3).Select(c => Rgba[(p * 4) + c] / 255f)).ToArray();
        T.Equal(expectedImage, image);
        T.Equal(Enumerable.Range(0, 4).Select(p => 1f - (Rgba[(p * 4) + 3] / 255f)).ToArray(), mask, 1e-7f);
    }

    [Fact]
    public void An_annotation_picks_another_folder()
    {
        using var context = new ImagingTestContext();
        File.WriteAllBytes(Path.Combine(context.Directories.Input, "in.png"), PngFile.Encode(new PixelBuffer(1, 1, 3, [9, 8, 7]), 4));
        var image = (Tensor)context.Run(new LoadImageOutput(), (LoadImageOutput.Image, "in.png [input]")).Values[0]!;
        T.Equal([9 / 255f, 8 / 255f, 7 / 255f], image);
        // Without the annotation the name is looked up in the output folder, where it is not.
        Assert.Null(LoadImageOutput.Resolve(context, "in.png"));
    }

    [Fact]
    public void Missing_escaping_and_broken_files_give_clear_errors()
    {
        using var context = new ImagingTestContext();
        var node = new LoadImageOutput();
        ValidationResult Validate(string name) => node.ValidateInputsAsync(new NodeInputs(new Dictionary<string, object?> { ["image"] = name }),
            new Dictionary<string, string>(), context).AsTask().GetAwaiter().GetResult();

        Assert.Equal(ValidationResult.Fail("Invalid image file: none.png"), Validate("none.png"));
        File.WriteAllBytes(Path.Combine(context.Root, "secret.png"), PngFile.Encode(new PixelBuffer(1, 1, 3, [1, 2, 3]), 4));
        Assert.False(Validate("../secret.png").IsValid);
        Assert.Throws<FileNotFoundException>(() => context.Run(node, (LoadImageOutput.Image, "../secret.png")));

        Directory.CreateDirectory(context.Directories.Output);
        File.WriteAllText(Path.Combine(context.Directories.Output, "text.png"), "not an image");
        Assert.True(Validate("text.png").IsValid);
        var error = Assert.Throws<ImageFormatException>(() => context.Run(node, (LoadImageOutput.Image, "text.png")));
        Assert.Contains("text.png", error.Message, StringComparison.Ordinal);
    }
}
