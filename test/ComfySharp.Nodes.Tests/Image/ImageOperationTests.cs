using ComfySharp.Nodes.Image;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Image;

public sealed class ImageOperationTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [Fact]
    public void ImageScale_sizes_and_aspect()
    {
        using var image = T.Ramp(2, 4, 6, 3);
        Assert.Same(image, _context.RunTensor(new ImageScale(), (ImageScale.Image, image), (ImageScale.UpscaleMethod, "bilinear"), (ImageScale.Width, 0L), (ImageScale.Height, 0L), (ImageScale.Crop, "disabled")));
        T.Shape(_context.RunTensor(new ImageScale(), (ImageScale.Image, image), (ImageScale.UpscaleMethod, "nearest-exact"), (ImageScale.Width, 3L), (ImageScale.Height, 0L), (ImageScale.Crop, "disabled")), 2, 2, 3, 3);
        T.Shape(_context.RunTensor(new ImageScale(), (ImageScale.Image, image), (ImageScale.UpscaleMethod, "area"), (ImageScale.Width, 0L), (ImageScale.Height, 1L), (ImageScale.Crop, "disabled")), 2, 1, 2, 3);
        T.Shape(_context.RunTensor(new ImageScale(), (ImageScale.Image, image), (ImageScale.UpscaleMethod, "lanczos"), (ImageScale.Width, 5L), (ImageScale.Height, 7L), (ImageScale.Crop, "center")), 2, 7, 5, 3);
        // Nearest-exact doubling repeats each pixel.
        using var small = T.Of([0.1f, 0.2f], 1, 1, 2, 1);
        T.Equal([0.1f, 0.1f, 0.2f, 0.2f, 0.1f, 0.1f, 0.2f, 0.2f], _context.RunTensor(new ImageScale(), (ImageScale.Image, small), (ImageScale.UpscaleMethod, "nearest-exact"), (ImageScale.Width, 4L), (ImageScale.Height, 2L), (ImageScale.Crop, "disabled")));
    }

    [Fact]
    public void ImageScaleBy_rounds_half_to_even()
    {
        using var image = T.Ramp(1, 5, 3, 3);
        // 3 × 1.5 = 4.5 → 4, 5 × 1.5 = 7.5 → 8 (Python's round).
        T.Shape(_context.RunTensor(new ImageScaleBy(), (ImageScaleBy.Image, image), (ImageScaleBy.UpscaleMethod, "bicubic"), (ImageScaleBy.ScaleBy, 1.5)), 1, 8, 4, 3);
    }

    [Fact]
    public void ImageInvert_is_one_minus()
    {
        using var image = T.Of([0f, 0.25f, 1f], 1, 1, 1, 3);
        T.Equal([1f, 0.75f, 0f], _context.RunTensor(new ImageInvert(), (ImageInvert.Image, image)));
    }

    [Fact]
    public void ImageBatch_resizes_and_pads_alpha()
    {
        using var a = T.Of([0.1f, 0.2f, 0.3f, 0.4f], 1, 1, 1, 4);
        using var b = full([1L, 2, 2, 3], 0.5f);
        var result = _context.RunTensor(new ImageBatch(), (ImageBatch.Image1, a), (ImageBatch.Image2, b));
        T.Shape(result, 2, 1, 1, 4);
        T.Equal([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.5f, 0.5f, 1f], result);
    }

    [Fact]
    public void ImagePadForOutpaint_pads_grey_and_feathers_the_mask()
    {
        using var image = full([1L, 6, 6, 3], 0.2f);
        var output = _context.Run(new ImagePadForOutpaint(), (ImagePadForOutpaint.Image, image), (ImagePadForOutpaint.Left, 2L), (ImagePadForOutpaint.Top, 0L),
            (ImagePadForOutpaint.Right, 0L), (ImagePadForOutpaint.Bottom, 1L), (ImagePadForOutpaint.Feathering, 2L));
        var padded = (Tensor)output.Values[0]!;
        var mask = (Tensor)output.Values[1]!;
        T.Shape(padded, 1, 7, 8, 3);
        T.Shape(mask, 1, 7, 8);
        Assert.Equal(0.5f, padded[0, 0, 0, 0].item<float>());
        Assert.Equal(0.2f, padded[0, 0, 2, 0].item<float>());
        Assert.Equal(0.5f, padded[0, 6, 5, 1].item<float>());
        float[] m = T.Values(mask);
        // Row 0 of the original: left distance j (padded side), bottom distance 6 (not padded at top).
        Assert.Equal([1f, 1f, 1f, 0.25f, 0f, 0f, 0f, 0f], m[..8]);
        // Last original row (i = 5): bottom distance 1 → ((2 − 1) / 2)² = 0.25; column 0 → 1.
        Assert.Equal([1f, 1f, 1f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f], m[40..48]);
        Assert.All(m[48..], v => Assert.Equal(1f, v));
    }

    [Fact]
    public void EmptyImage_fills_the_colour()
    {
        var image = _context.RunTensor(new EmptyImage(), (EmptyImage.Width, 2L), (EmptyImage.Height, 1L), (EmptyImage.BatchSize, 2L), (EmptyImage.Color, 0xFF8000L));
        T.Shape(image, 2, 1, 2, 3);
        T.Equal([1f, 128f / 255, 0f, 1f, 128f / 255, 0f, 1f, 128f / 255, 0f, 1f, 128f / 255, 0f], image);
    }

    [Fact]
    public void ImageCrop_clamps_the_corner_and_clips_the_window()
    {
        using var image = T.Of([0, 1, 2, 3, 4, 5, 6, 7, 8], 1, 3, 3, 1);
        T.Equal([4, 5, 7, 8], _context.RunTensor(new ImageCrop(), (ImageCrop.Image, image), (ImageCrop.Width, 5L), (ImageCrop.Height, 5L), (ImageCrop.X, 1L), (ImageCrop.Y, 1L)));
        T.Equal([8], _context.RunTensor(new ImageCrop(), (ImageCrop.Image, image), (ImageCrop.Width, 2L), (ImageCrop.Height, 2L), (ImageCrop.X, 10L), (ImageCrop.Y, 10L)));
    }

    [Theory]
    [InlineData("normal", 0.6f, 0.2f)]
    [InlineData("multiply", 0.12f, 0.16f)]
    [InlineData("screen", 0.68f, 0.84f)]
    [InlineData("overlay", 0.24f, 0.68f)]
    [InlineData("difference", -0.4f, 0.6f)]
    public void ImageBlend_modes(string mode, float blendA, float blendB)
    {
        // a = (0.2, 0.8), b = (0.6, 0.2); factor 0.5; result = clamp(a/2 + blend/2).
        using var a = T.Of([0.2f, 0.8f], 1, 1, 2, 1);
        using var b = T.Of([0.6f, 0.2f], 1, 1, 2, 1);
        var result = _context.RunTensor(new ImageBlend(), (ImageBlend.Image1, a), (ImageBlend.Image2, b), (ImageBlend.BlendFactor, 0.5), (ImageBlend.BlendMode, mode));
        T.Equal([Math.Clamp((0.2f * 0.5f) + (blendA * 0.5f), 0, 1), Math.Clamp((0.8f * 0.5f) + (blendB * 0.5f), 0, 1)], result, 1e-6f);
    }

    [Fact]
    public void ImageBlend_soft_light_and_resize()
    {
        using var a = T.Of([0.16f, 0.64f], 1, 1, 2, 1);
        using var b = T.Of([0.25f, 0.75f], 1, 1, 2, 1);
        // b ≤ 0.5: a − (1 − 2b)·a·(1 − a); b > 0.5: a + (2b − 1)(√a − a) with a > 0.25.
        float first = 0.16f - (0.5f * 0.16f * 0.84f), second = 0.64f + (0.5f * (0.8f - 0.64f));
        T.Equal([first, second], _context.RunTensor(new ImageBlend(), (ImageBlend.Image1, a), (ImageBlend.Image2, b), (ImageBlend.BlendFactor, 1.0), (ImageBlend.BlendMode, "soft_light")), 1e-6f);
        using var big = full([1L, 4, 4, 4], 0.5f);
        T.Shape(_context.RunTensor(new ImageBlend(), (ImageBlend.Image1, a), (ImageBlend.Image2, big), (ImageBlend.BlendFactor, 1.0), (ImageBlend.BlendMode, "normal")), 1, 1, 2, 1);
    }

    [Fact]
    public void ImageBlur_matches_a_direct_convolution_with_reflected_borders()
    {
        float[] values = Enumerable.Range(0, 25).Select(i => (i * 7 % 11) / 10f).ToArray();
        using var image = T.Of(values, 1, 5, 5, 1);
        var blurred = T.Values(_context.RunTensor(new ImageBlur(), (ImageBlur.Image, image), (ImageBlur.BlurRadius, 1L), (ImageBlur.Sigma, 0.5)));
        double[] positions = [-1, 0, 1];
        double[,] kernel = new double[3, 3];
        double total = 0;
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                kernel[i, j] = Math.Exp(-((positions[i] * positions[i]) + (positions[j] * positions[j])) / (2 * 0.5 * 0.5));
                total += kernel[i, j];
            }
        }
        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                double sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        sum += values[(Reflect(y + i - 1) * 5) + Reflect(x + j - 1)] * kernel[i, j] / total;
                    }
                }
                Assert.True(Math.Abs(sum - blurred[(y * 5) + x]) < 1e-5, $"({x},{y})");
            }
        }
        Assert.Throws<ArgumentException>(() => _context.RunTensor(new ImageBlur(), (ImageBlur.Image, image), (ImageBlur.BlurRadius, 5L), (ImageBlur.Sigma, 1.0)));
    }

    [Fact]
    public void ImageSharpen_keeps_flat_areas_and_boosts_edges()
    {
        using var flat = full([1L, 4, 4, 3], 0.3f);
        T.Equal(Enumerable.Repeat(0.3f, 48).ToArray(), _context.RunTensor(new ImageSharpen(), (ImageSharpen.Image, flat), (ImageSharpen.SharpenRadius, 1L), (ImageSharpen.Sigma, 1.0), (ImageSharpen.Alpha, 1.0)), 1e-5f);
        using var dot = zeros([1L, 3, 3, 1]);
        dot[0, 1, 1, 0].fill_(0.1f);
        var sharpened = T.Values(_context.RunTensor(new ImageSharpen(), (ImageSharpen.Image, dot), (ImageSharpen.SharpenRadius, 1L), (ImageSharpen.Sigma, 1.0), (ImageSharpen.Alpha, 0.1)));
        // Centre weight = 1 − (sum of the negated off-centre weights); neighbours go negative and clamp to 0.
        Assert.True(sharpened[4] > 0.1f);
        Assert.Equal(0f, sharpened[0]);
    }

    [Fact]
    public void ImageQuantize_reduces_colours()
    {
        float[] two = [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1];
        using var image = T.Of(two, 1, 2, 2, 3);
        T.Equal(two, _context.RunTensor(new ImageQuantize(), (ImageQuantize.Image, image), (ImageQuantize.Colors, 2L), (ImageQuantize.Dither, "none")));
        foreach (string dither in new[] { "floyd-steinberg", "bayer-2", "bayer-4" })
        {
            var single = T.Values(_context.RunTensor(new ImageQuantize(), (ImageQuantize.Image, image), (ImageQuantize.Colors, 1L), (ImageQuantize.Dither, dither)));
            // One colour: the rounded mean (128, 0, 128) everywhere.
            Assert.All(Enumerable.Range(0, 4), p => Assert.Equal([128f / 255, 0f, 128f / 255], single[(p * 3)..((p * 3) + 3)]));
        }
        Assert.Equal(new[,] { { -0.375, 0.125 }, { 0.375, -0.125 } }, ColorQuantizer.NormalisedBayer(1));
    }

    [Fact]
    public void ImageCompositeMasked_pastes_through_the_mask_and_clips()
    {
        using var destination = zeros([1L, 3, 3, 3]);
        using var source = ones([1L, 2, 2, 3]);
        var plain = T.Values(_context.RunTensor(new ImageCompositeMasked(), (ImageCompositeMasked.Destination, destination), (ImageCompositeMasked.Source, source),
            (ImageCompositeMasked.X, 2L), (ImageCompositeMasked.Y, 1L), (ImageCompositeMasked.ResizeSource, false)));
        float[] expectedMask = [0, 0, 0, 0, 0, 1, 0, 0, 1];
        Assert.Equal(expectedMask.SelectMany(v => new[] { v, v, v }), plain);

        using var mask = T.Of([0.25f, 0.5f, 0.75f, 1f], 1, 2, 2);
        var masked = T.Values(_context.RunTensor(new ImageCompositeMasked(), (ImageCompositeMasked.Destination, destination), (ImageCompositeMasked.Source, source),
            (ImageCompositeMasked.X, 0L), (ImageCompositeMasked.Y, 0L), (ImageCompositeMasked.ResizeSource, false), (ImageCompositeMasked.Mask, mask)));
        Assert.Equal([0.25f, 0.5f, 0f, 0.75f, 1f, 0f, 0f, 0f, 0f], Enumerable.Range(0, 9).Select(p => masked[p * 3]));

        var resized = _context.RunTensor(new ImageCompositeMasked(), (ImageCompositeMasked.Destination, destination), (ImageCompositeMasked.Source, source),
            (ImageCompositeMasked.X, 0L), (ImageCompositeMasked.Y, 0L), (ImageCompositeMasked.ResizeSource, true));
        T.Equal(Enumerable.Repeat(1f, 27).ToArray(), resized);
        Assert.Equal(0f, destination.sum().item<float>()); // the input is not modified
    }

    [Fact]
    public void RebatchImages_regroups_lists()
    {
        using var a = full([1L, 2, 2, 3], 0.1f);
        using var b = full([2L, 2, 2, 3], 0.2f);
        var output = _context.Run(new RebatchImages(), (RebatchImages.Images, new List<object?> { a, b }), (RebatchImages.BatchSize, new List<object?> { 2L }));
        var list = Assert.IsType<List<object?>>(output.Values.Single());
        Assert.Equal(2, list.Count);
        T.Shape((Tensor)list[0]!, 2, 2, 2, 3);
        T.Shape((Tensor)list[1]!, 1, 2, 2, 3);
        Assert.Equal(0.2f, ((Tensor)list[1]!)[0, 0, 0, 0].item<float>());
        Assert.True(new RebatchImages().Schema.InputIsList);
        Assert.True(new RebatchImages().Schema.Outputs[0].IsList);

        using var other = full([1L, 3, 3, 3], 0.1f);
        var error = Assert.Throws<ArgumentException>(() => _context.Run(new RebatchImages(), (RebatchImages.Images, new List<object?> { a, other }), (RebatchImages.BatchSize, new List<object?> { 2L })));
        Assert.Contains("different sizes", error.Message, StringComparison.Ordinal);
    }

    private static int Reflect(int i) => i < 0 ? -i : i > 4 ? 8 - i : i;
}
