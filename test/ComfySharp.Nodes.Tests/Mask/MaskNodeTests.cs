using ComfySharp.Nodes.Mask;
using ComfySharp.Nodes.Tests.Image;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Mask;

public sealed class MaskNodeTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private static Tensor Grid() => T.Of([0f, 0.25f, 0.5f, 0.75f, 1f, 0.6f], 1, 2, 3);

    [Fact]
    public void MaskToImage_copies_the_value_to_three_channels()
    {
        var image = _context.RunTensor(new MaskToImage(), (MaskToImage.Mask, T.Of([0.2f, 0.9f], 1, 2)));
        T.Shape(image, 1, 1, 2, 3);
        T.Equal([0.2f, 0.2f, 0.2f, 0.9f, 0.9f, 0.9f], image);
    }

    [Fact]
    public void ImageToMask_selects_a_channel()
    {
        using var image = T.Of([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f], 1, 1, 2, 4);
        T.Equal([0.2f, 0.6f], _context.RunTensor(new ImageToMask(), (ImageToMask.Image, image), (ImageToMask.Channel, "green")));
        T.Equal([0.4f, 0.8f], _context.RunTensor(new ImageToMask(), (ImageToMask.Image, image), (ImageToMask.Channel, "alpha")));
        using var rgb = T.Of([0.1f, 0.2f, 0.3f], 1, 1, 1, 3);
        Assert.Throws<ArgumentException>(() => _context.RunTensor(new ImageToMask(), (ImageToMask.Image, rgb), (ImageToMask.Channel, "alpha")));
    }

    [Fact]
    public void SolidMask_and_InvertMask()
    {
        var solid = _context.RunTensor(new SolidMask(), (SolidMask.Value, 0.25), (SolidMask.Width, 3L), (SolidMask.Height, 2L));
        T.Shape(solid, 1, 2, 3);
        T.Equal(Enumerable.Repeat(0.25f, 6).ToArray(), solid);
        T.Equal([1f, 0.75f, 0.5f, 0.25f, 0f, 0.4f], _context.RunTensor(new InvertMask(), (InvertMask.Mask, Grid())), 1e-7f);
    }

    [Fact]
    public void CropMask_clips_at_the_border()
    {
        var cropped = _context.RunTensor(new CropMask(), (CropMask.Mask, Grid()), (CropMask.X, 1L), (CropMask.Y, 1L), (CropMask.Width, 5L), (CropMask.Height, 5L));
        T.Shape(cropped, 1, 1, 2);
        T.Equal([1f, 0.6f], cropped);
        // A 2-D mask is accepted too.
        T.Shape(_context.RunTensor(new CropMask(), (CropMask.Mask, T.Of([1f, 2f, 3f, 4f], 2, 2)), (CropMask.X, 0L), (CropMask.Y, 0L), (CropMask.Width, 1L), (CropMask.Height, 2L)), 1, 2, 1);
    }

    [Theory]
    [InlineData("multiply", new[] { 0f, 0.25f, 0.5f, 0.75f, 0.5f, 0.06f })]
    [InlineData("add", new[] { 0f, 0.25f, 0.5f, 0.75f, 1f, 0.7f })]
    [InlineData("subtract", new[] { 0f, 0.25f, 0.5f, 0.75f, 0.5f, 0.5f })]
    [InlineData("and", new[] { 0f, 0.25f, 0.5f, 0.75f, 0f, 0f })]
    [InlineData("or", new[] { 0f, 0.25f, 0.5f, 0.75f, 1f, 1f })]
    [InlineData("xor", new[] { 0f, 0.25f, 0.5f, 0.75f, 1f, 1f })]
    public void MaskComposite_operations_on_the_overlap(string operation, float[] expected)
    {
        // Source [0.5, 0.1] (and a third column that falls outside) pasted at (1, 1).
        using var source = T.Of([0.5f, 0.1f, 0.9f], 1, 1, 3);
        var result = _context.RunTensor(new MaskComposite(), (MaskComposite.Destination, Grid()), (MaskComposite.Source, source), (MaskComposite.X, 1L), (MaskComposite.Y, 1L), (MaskComposite.Operation, operation));
        T.Equal(expected, result, 1e-6f);
    }

    [Fact]
    public void MaskComposite_outside_the_destination_changes_nothing()
    {
        using var source = T.Of([1f], 1, 1, 1);
        T.Equal([0f, 0.25f, 0.5f, 0.75f, 1f, 0.6f], _context.RunTensor(new MaskComposite(), (MaskComposite.Destination, Grid()), (MaskComposite.Source, source), (MaskComposite.X, 9L), (MaskComposite.Y, 0L), (MaskComposite.Operation, "add")));
    }

    [Fact]
    public void FeatherMask_reproduces_the_reference_ramps_including_the_right_edge_quirk()
    {
        using var mask = ones([1L, 1, 4]);
        // left = 2: column 0 × 1/2, column 1 × 2/2.
        T.Equal([0.5f, 1f, 1f, 1f], _context.RunTensor(new FeatherMask(), (FeatherMask.Mask, mask), (FeatherMask.Left, 2L), (FeatherMask.Top, 0L), (FeatherMask.Right, 0L), (FeatherMask.Bottom, 0L)));
        // right = 2: step 0 hits column 0 (× 1/2), step 1 hits the last column (× 2/2).
        T.Equal([0.5f, 1f, 1f, 1f], _context.RunTensor(new FeatherMask(), (FeatherMask.Mask, mask), (FeatherMask.Left, 0L), (FeatherMask.Top, 0L), (FeatherMask.Right, 2L), (FeatherMask.Bottom, 0L)));
        // right = 3: column 0 × 1/3, column 3 × 2/3, column 2 × 3/3.
        T.Equal([1f / 3, 1f, 1f, 2f / 3], _context.RunTensor(new FeatherMask(), (FeatherMask.Mask, mask), (FeatherMask.Left, 0L), (FeatherMask.Top, 0L), (FeatherMask.Right, 3L), (FeatherMask.Bottom, 0L)), 1e-7f);
        using var column = ones([1L, 3, 1]);
        T.Equal([1f / 3, 2f / 3, 1f], _context.RunTensor(new FeatherMask(), (FeatherMask.Mask, column), (FeatherMask.Left, 0L), (FeatherMask.Top, 3L), (FeatherMask.Right, 0L), (FeatherMask.Bottom, 0L)), 1e-7f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GrowMask_by_more_than_the_mask_spans_equals_growing_until_nothing_changes(bool tapered)
    {
        using var mask = zeros([1L, 4, 7]);
        mask[0, 1, 2].fill_(0.5f);
        mask[0, 3, 6].fill_(1f);
        // Grow one step at a time until a step changes nothing: what any larger expand must give.
        Tensor settled = mask;
        for (int i = 0; i < 100; i++)
        {
            Tensor next = _context.RunTensor(new GrowMask(), (GrowMask.Mask, settled), (GrowMask.Expand, 1L), (GrowMask.TaperedCorners, tapered));
            if (next.eq(settled).all().item<bool>())
            {
                break;
            }
            settled = next;
        }
        Assert.All(T.Values(settled), v => Assert.Equal(1f, v));
        Tensor huge = _context.RunTensor(new GrowMask(), (GrowMask.Mask, mask), (GrowMask.Expand, 16384L), (GrowMask.TaperedCorners, tapered));
        Assert.True(huge.eq(settled).all().item<bool>());
        Tensor shrunk = _context.RunTensor(new GrowMask(), (GrowMask.Mask, mask), (GrowMask.Expand, -16384L), (GrowMask.TaperedCorners, tapered));
        Assert.All(T.Values(shrunk), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GrowMask_dilates_and_erodes_with_square_or_cross()
    {
        using var dot = zeros([1L, 5, 5]);
        dot[0, 2, 2].fill_(1f);
        float[] cross = T.Values(_context.RunTensor(new GrowMask(), (GrowMask.Mask, dot), (GrowMask.Expand, 1L), (GrowMask.TaperedCorners, true)));
        Assert.Equal(5, cross.Count(v => v == 1f));
        Assert.Equal(0f, cross[(1 * 5) + 1]);
        float[] square = T.Values(_context.RunTensor(new GrowMask(), (GrowMask.Mask, dot), (GrowMask.Expand, 2L), (GrowMask.TaperedCorners, false)));
        Assert.All(square, v => Assert.Equal(1f, v));

        using var full5 = ones([1L, 5, 5]);
        float[] eroded = T.Values(_context.RunTensor(new GrowMask(), (GrowMask.Mask, full5), (GrowMask.Expand, -1L), (GrowMask.TaperedCorners, false)));
        // The border mirrors the edge, so a full mask stays full.
        Assert.All(eroded, v => Assert.Equal(1f, v));
        float[] shrunk = T.Values(_context.RunTensor(new GrowMask(), (GrowMask.Mask, T.Values(_context.RunTensor(new GrowMask(), (GrowMask.Mask, dot), (GrowMask.Expand, 1L), (GrowMask.TaperedCorners, false))) is var grown ? T.Of(grown, 1, 5, 5) : dot), (GrowMask.Expand, -1L), (GrowMask.TaperedCorners, false)));
        Assert.Equal(1, shrunk.Count(v => v == 1f));
        Assert.Equal(1f, shrunk[12]);
    }

    [Fact]
    public void ThresholdMask_is_strictly_greater()
    {
        T.Equal([0f, 0f, 0f, 1f, 1f, 1f], _context.RunTensor(new ThresholdMask(), (ThresholdMask.Mask, Grid()), (ThresholdMask.Value, 0.5)));
    }
}
