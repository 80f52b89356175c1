using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Mask;
using ComfySharp.Nodes.Tests.Image;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>ImageStitch, ResizeAndPadImage, ImageFromBatch, GetImageSize, ImageAddNoise and MaskPreview against hand-built tensors.</summary>
public sealed class ImageUtilityNodeTests
{
    private static Tensor Solid(long batch, long height, long width, float value, long channels = 3) => ones(batch, height, width, channels).Mul(value);

    private static void Same(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.allclose(actual, 1e-6, 1e-6), $"max difference {(expected - actual).abs().max().item<float>()}");
    }

    [Fact]
    public void ImageStitch_concatenates_in_the_direction_with_a_coloured_spacer()
    {
        using var context = new ImagingTestContext();
        Tensor a = Solid(1, 2, 3, 0.25f), b = Solid(1, 2, 1, 0.75f);
        Tensor right = context.RunTensor(new ImageStitch(), (ImageStitch.Image1, a), (ImageStitch.Image2, b), (ImageStitch.Direction, "right"),
            (ImageStitch.MatchImageSize, false), (ImageStitch.SpacingWidth, 1L), (ImageStitch.SpacingColor, "red"));
        // Spacer width 1 becomes 2 (even); red = (1, 0, 0).
        Assert.Equal(new long[] { 1, 2, 6, 3 }, right.shape);
        Same(a, right.narrow(2, 0, 3));
        Same(tensor(new[] { 1f, 0f, 0f }).expand(1, 2, 2, 3), right.narrow(2, 3, 2));
        Same(b, right.narrow(2, 5, 1));
        Tensor up = context.RunTensor(new ImageStitch(), (ImageStitch.Image1, a), (ImageStitch.Image2, Solid(2, 1, 1, 0.5f)), (ImageStitch.Direction, "up"),
            (ImageStitch.MatchImageSize, false), (ImageStitch.SpacingWidth, 0L), (ImageStitch.SpacingColor, "white"));
        // image2 first, padded to width 3 with white (1 left, 1 right); image1's last item repeated to batch 2.
        Assert.Equal(new long[] { 2, 3, 3, 3 }, up.shape);
        Same(tensor(new[] { 1f, 0.5f, 1f }).view(1, 1, 3, 1).expand(2, 1, 3, 3), up.narrow(1, 0, 1));
        Same(Solid(2, 2, 3, 0.25f), up.narrow(1, 1, 2));
        Same(a, context.RunTensor(new ImageStitch(), (ImageStitch.Image1, a), (ImageStitch.Direction, "down"), (ImageStitch.MatchImageSize, true),
            (ImageStitch.SpacingWidth, 0L), (ImageStitch.SpacingColor, "white")));
    }

    [Fact]
    public void ImageStitch_matches_image2_to_image1_keeping_its_aspect()
    {
        using var context = new ImagingTestContext();
        Tensor matched = context.RunTensor(new ImageStitch(), (ImageStitch.Image1, Solid(1, 4, 4, 0.2f)), (ImageStitch.Image2, Solid(1, 2, 3, 0.6f)),
            (ImageStitch.Direction, "right"), (ImageStitch.MatchImageSize, true), (ImageStitch.SpacingWidth, 0L), (ImageStitch.SpacingColor, "white"));
        // Height 4, width int(4 · 3/2) = 6; a constant stays constant under Lanczos.
        Assert.Equal(new long[] { 1, 4, 10, 3 }, matched.shape);
        Same(Solid(1, 4, 6, 0.6f), matched.narrow(2, 4, 6));
        var error = Assert.Throws<NodeException>(() => context.Run(new ImageStitch(), (ImageStitch.Image1, Solid(1, 1, 1, 0f)), (ImageStitch.Image2, Solid(1, 1, 1 << 16, 0f)),
            (ImageStitch.Direction, "down"), (ImageStitch.MatchImageSize, true), (ImageStitch.SpacingWidth, 0L), (ImageStitch.SpacingColor, "white")));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResizeAndPadImage_centres_the_scaled_image_on_the_canvas()
    {
        using var context = new ImagingTestContext();
        Tensor image = tensor(new[] { 0.1f, 0.2f, 0.3f, 0.4f }).view(1, 1, 4, 1).expand(1, 2, 4, 1).contiguous(); // 4 wide, 2 high, 1 channel
        Tensor result = context.RunTensor(new ResizeAndPadImage(), (ResizeAndPadImage.Image, image), (ResizeAndPadImage.TargetWidth, 8L),
            (ResizeAndPadImage.TargetHeight, 8L), (ResizeAndPadImage.PaddingColor, "white"), (ResizeAndPadImage.Interpolation, "nearest-exact"));
        Assert.Equal(new long[] { 1, 8, 8, 1 }, result.shape);
        // Scale 2 → 8×4, rows 2..5; rows 0, 1, 6, 7 white.
        Same(ones(1, 2, 8, 1), result.narrow(1, 0, 2));
        Same(ones(1, 2, 8, 1), result.narrow(1, 6, 2));
        Same(tensor(new[] { 0.1f, 0.1f, 0.2f, 0.2f, 0.3f, 0.3f, 0.4f, 0.4f }).view(1, 1, 8, 1).expand(1, 4, 8, 1), result.narrow(1, 2, 4));
        Assert.Throws<NodeException>(() => context.Run(new ResizeAndPadImage(), (ResizeAndPadImage.Image, zeros(64, 1, 1, 3)), (ResizeAndPadImage.TargetWidth, 16384L),
            (ResizeAndPadImage.TargetHeight, 16384L), (ResizeAndPadImage.PaddingColor, "black"), (ResizeAndPadImage.Interpolation, "area")));
    }

    [Fact]
    public void ImageFromBatch_clips_index_and_length_to_the_batch()
    {
        using var context = new ImagingTestContext();
        Tensor batch = ScalarMath.Arange(5).to_type(ScalarType.Float32).view(5, 1, 1, 1).expand(5, 1, 1, 3).contiguous();
        Tensor middle = context.RunTensor(new ImageFromBatch(), (ImageFromBatch.Image, batch), (ImageFromBatch.BatchIndex, 1L), (ImageFromBatch.Length, 2L));
        Assert.Equal(new[] { 1f, 2f }, middle[.., 0, 0, 0].data<float>().ToArray());
        Tensor tail = context.RunTensor(new ImageFromBatch(), (ImageFromBatch.Image, batch), (ImageFromBatch.BatchIndex, 9L), (ImageFromBatch.Length, 3L));
        Assert.Equal(new[] { 4f }, tail[.., 0, 0, 0].data<float>().ToArray());
    }

    [Fact]
    public void GetImageSize_returns_width_height_and_batch()
    {
        using var context = new ImagingTestContext();
        var output = context.Run(new GetImageSize(), (GetImageSize.Image, zeros(3, 5, 7, 3)));
        Assert.Equal(new object?[] { 7L, 5L, 3L }, output.Values);
    }

    [Fact]
    public void ImageAddNoise_adds_seeded_gaussian_noise_and_clips()
    {
        using var context = new ImagingTestContext();
        Tensor image = ones(1, 4, 4, 3).Mul(0.5);
        Same(image, context.RunTensor(new ImageAddNoise(), (ImageAddNoise.Image, image), (ImageAddNoise.Seed, 3L), (ImageAddNoise.Strength, 0.0)));
        Tensor noisy = context.RunTensor(new ImageAddNoise(), (ImageAddNoise.Image, image), (ImageAddNoise.Seed, 3L), (ImageAddNoise.Strength, 0.3));
        using var generator = new Generator(3, CPU);
        Tensor expected = image.Add(randn([1, 4, 4, 3], generator: generator).Mul(0.3)).Clamp(0.0, 1.0);
        Same(expected, noisy);
    }

    [Fact]
    public void MaskPreview_previews_the_mask_as_a_temp_image()
    {
        using var context = new ImagingTestContext();
        var output = context.Run(new MaskPreview(), (MaskPreview.Mask, ones(2, 3, 4).Mul(0.5)));
        Assert.Empty(output.Values);
        var images = output.Ui!["images"]!.AsArray();
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal("temp", (string?)i!["type"]));
    }
}
