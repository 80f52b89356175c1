using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Mask;
using ComfySharp.Nodes.Tests.Image;
using ComfySharp.Nodes.Tests.ModelPatches;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>PorterDuffImageComposite's operators at single pixels, and LatentBatch.</summary>
public sealed class ExtraCompositingTests
{
    private static (float Image, float Mask) Pixel(string mode, float s, float sourceAlpha, float d, float destinationAlpha)
    {
        using var context = new ImagingTestContext();
        var output = context.Run(new PorterDuffImageComposite(),
            (PorterDuffImageComposite.Source, ones(1, 1, 1, 1).Mul(s)), (PorterDuffImageComposite.SourceAlpha, ones(1, 1, 1).Mul(1 - sourceAlpha)),
            (PorterDuffImageComposite.Destination, ones(1, 1, 1, 1).Mul(d)), (PorterDuffImageComposite.DestinationAlpha, ones(1, 1, 1).Mul(1 - destinationAlpha)),
            (PorterDuffImageComposite.Mode, mode));
        return (((Tensor)output.Values[0]!).item<float>(), ((Tensor)output.Values[1]!).item<float>());
    }

    [Theory]
    // Straight colours s, d with alphas a, b: SRC_OVER gives alpha a + (1 − a)b and colour (s·a + (1 − a)·d·b) / alpha.
    [InlineData("SRC_OVER", 0.8f, 0.5f, 0.2f, 1.0f, (0.8f * 0.5f + 0.5f * 0.2f) / 1.0f, 0f)]
    [InlineData("DST_OVER", 0.8f, 0.5f, 0.2f, 0.5f, (0.2f * 0.5f + 0.5f * 0.8f * 0.5f) / 0.75f, 0.25f)]
    [InlineData("SRC_IN", 0.8f, 0.5f, 0.2f, 0.5f, 0.8f, 0.75f)]
    [InlineData("DST", 0.8f, 0.5f, 0.2f, 0.5f, 0.2f, 0.5f)]
    [InlineData("CLEAR", 0.8f, 0.5f, 0.2f, 0.5f, 0f, 1f)]
    [InlineData("MULTIPLY", 0.8f, 1f, 0.5f, 1f, 0.4f, 0f)]
    [InlineData("SCREEN", 0.8f, 1f, 0.5f, 1f, 0.9f, 0f)]
    [InlineData("XOR", 0.8f, 1f, 0.5f, 1f, 0f, 1f)]
    public void Porter_duff_operators_match_their_closed_forms(string mode, float s, float a, float d, float b, float image, float mask)
    {
        var (actualImage, actualMask) = Pixel(mode, s, a, d, b);
        Assert.Equal(image, actualImage, 5);
        Assert.Equal(mask, actualMask, 5);
    }

    [Fact]
    public void LatentBatch_joins_batches_and_resizes_the_second()
    {
        var first = new LatentValue(zeros(2, 4, 4, 4));
        var second = new LatentValue(ones(1, 4, 2, 2)) { BatchIndex = [7] };
        var joined = PatchTestKit.One<LatentValue>(new LatentBatch(), new() { ["samples1"] = first, ["samples2"] = second });
        Assert.Equal(new long[] { 3, 4, 4, 4 }, joined.Samples.shape);
        Assert.True(joined.Samples[2].allclose(ones(4, 4, 4)));
        Assert.Equal([0L, 1L, 7L], joined.BatchIndex!);
        Assert.Throws<Abstractions.NodeException>(() => PatchTestKit.One<LatentValue>(new LatentBatch(), new() { ["samples1"] = first, ["samples2"] = new LatentValue(ones(1, 16, 2, 2)) }));
    }
}
