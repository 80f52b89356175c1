using ComfySharp.Nodes.Image;
using ComfySharp.Nodes.Mask;
using ComfySharp.Nodes.Primitives;
using ComfySharp.Nodes.Tests.Image;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>ImageColorToMask, Split/JoinImageWithAlpha, Morphology and PreviewAny on small hand-made tensors.</summary>
public sealed class CompositingNodeTests
{
    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void ImageColorToMask_selects_the_exact_colour()
    {
        using var context = new ImagingTestContext();
        Tensor image = tensor(new[] { 1f, 0f, 0f, 0.2f, 0.4f, 0.6f, 0.2f, 0.4f, 0.61f }).view(1, 1, 3, 3);
        Tensor mask = context.RunTensor(new ImageColorToMask(), (ImageColorToMask.Image, image), (ImageColorToMask.Color, 0x336699L));
        Assert.Equal(new[] { 0f, 1f, 0f }, Values(mask));
    }

    [Fact]
    public void Split_and_join_alpha_round_trip()
    {
        using var context = new ImagingTestContext();
        Tensor rgba = tensor(new[] { 0.1f, 0.2f, 0.3f, 0.25f, 0.4f, 0.5f, 0.6f, 1f }).view(1, 1, 2, 4);
        var split = context.Run(new SplitImageWithAlpha(), (SplitImageWithAlpha.Image, rgba));
        Tensor rgb = (Tensor)split.Values[0]!, mask = (Tensor)split.Values[1]!;
        Assert.Equal(new long[] { 1, 1, 2, 3 }, rgb.shape);
        Assert.Equal(new[] { 0.75f, 0f }, Values(mask));
        Tensor joined = context.RunTensor(new JoinImageWithAlpha(), (JoinImageWithAlpha.Image, rgb), (JoinImageWithAlpha.Alpha, mask));
        Assert.True(rgba.allclose(joined));
        var opaque = context.Run(new SplitImageWithAlpha(), (SplitImageWithAlpha.Image, zeros(1, 2, 2, 3)));
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, Values((Tensor)opaque.Values[1]!));
    }

    [Fact]
    public void Morphology_erodes_dilates_and_derives_the_rest()
    {
        using var context = new ImagingTestContext();
        Tensor dot = zeros(1, 5, 5, 1);
        dot[0, 2, 2, 0] = tensor(1f);
        Tensor Run(string op, long size = 3) => context.RunTensor(new Morphology(), (Morphology.Image, dot), (Morphology.Operation, op), (Morphology.KernelSize, size));
        Tensor dilated = Run("dilate");
        Tensor square = zeros(1, 5, 5, 1);
        square.narrow(1, 1, 3).narrow(2, 1, 3).copy_(ones(1, 3, 3, 1));
        Assert.True(square.eq(dilated).all().item<bool>());
        Assert.Equal(0f, Run("erode").sum().item<float>());
        Assert.Equal(0f, Run("open").sum().item<float>());
        Assert.True(dot.eq(Run("top_hat")).all().item<bool>());
        Assert.True(square.eq(Run("gradient")).all().item<bool>());
        Assert.True(Run("close").eq(dot).all().item<bool>());
        Assert.Equal(16f, Run("dilate", 4).sum().item<float>());
    }

    [Theory]
    [InlineData(3L, 20L, 7L)]
    [InlineData(4L, 5L, 999L)]
    [InlineData(6L, 2L, 4L)]
    public void Morphology_kernels_larger_than_the_image_match_a_brute_force_window(long h, long w, long size)
    {
        using var context = new ImagingTestContext();
        using var generator = new TorchSharp.torch.Generator(7);
        Tensor image = rand([1, h, w, 2], generator: generator);
        float[] pixels = Values(image);
        float[] dilated = Values(context.RunTensor(new Morphology(), (Morphology.Image, image), (Morphology.Operation, "dilate"), (Morphology.KernelSize, size)));
        // The window of (y, x) is [y - size/2, y + size - size/2 - 1] (and the same across), cut at the image.
        long before = size / 2, after = size - before - 1;
        for (long y = 0; y < h; y++)
        {
            for (long x = 0; x < w; x++)
            {
                for (long c = 0; c < 2; c++)
                {
                    float expected = float.NegativeInfinity;
                    for (long yy = Math.Max(0, y - before); yy <= Math.Min(h - 1, y + after); yy++)
                    {
                        for (long xx = Math.Max(0, x - before); xx <= Math.Min(w - 1, x + after); xx++)
                        {
                            expected = Math.Max(expected, pixels[(((yy * w) + xx) * 2) + c]);
                        }
                    }
                    Assert.Equal(expected, dilated[(((y * w) + x) * 2) + c]);
                }
            }
        }
    }

    [Theory]
    [InlineData(null, "None")]
    [InlineData("text", "text")]
    [InlineData(true, "True")]
    [InlineData(3L, "3")]
    [InlineData(2.0, "2.0")]
    [InlineData(0.1, "0.1")]
    public void PreviewAny_prints_values_as_Python_does(object? value, string expected) =>
        Assert.Equal(expected, PreviewAny.Text(value));
}
