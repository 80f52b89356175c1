using ComfySharp.Abstractions;
using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Tests.Image;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Latent;

/// <summary>LatentConcat, LatentCut, LatentCutToBatch and RebatchLatents against index arithmetic done by hand.</summary>
public sealed class LatentSlicingNodeTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private LatentValue Run(ComfyNode node, params (InputSpec, object?)[] inputs) => (LatentValue)_context.Run(node, inputs).Values[0]!;

    /// <summary>A latent whose element at flat position p holds <paramref name="offset"/> + p.</summary>
    private static LatentValue Ramp(float offset, params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return new LatentValue(tensor(Enumerable.Range(0, (int)n).Select(p => offset + p).ToArray(), shape));
    }

    private LatentValue Concat(LatentValue a, LatentValue b, string dim) =>
        Run(new LatentConcat(), (LatentConcat.Samples1, a), (LatentConcat.Samples2, b), (LatentConcat.Dim, dim));

    [Fact]
    public void LatentConcat_joins_along_width_and_cuts_the_second_batch()
    {
        var a = Ramp(0, 1, 2, 2, 3) with { BatchIndex = [4] };
        var b = Ramp(100, 2, 2, 2, 2);
        var joined = Concat(a, b, "x");
        T.Shape(joined.Samples, 1, 2, 2, 5);
        var expected = new List<float>();
        var reversed = new List<float>();
        for (int c = 0; c < 2; c++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int w = 0; w < 5; w++)
                {
                    // a is [1,2,2,3] (flat c*6 + h*3 + w); b's first item is [2,2,2] (flat 100 + c*4 + h*2 + w).
                    expected.Add(w < 3 ? (c * 6) + (h * 3) + w : 100 + (c * 4) + (h * 2) + (w - 3));
                    reversed.Add(w < 2 ? 100 + (c * 4) + (h * 2) + w : (c * 6) + (h * 3) + (w - 2));
                }
            }
        }
        T.Equal([.. expected], joined.Samples);
        T.Equal([.. reversed], Concat(a, b, "-x").Samples);
        Assert.Equal([4L], joined.BatchIndex!);
    }

    [Fact]
    public void LatentConcat_tiles_a_short_second_batch_and_joins_heights_and_the_t_axis()
    {
        var a = Ramp(0, 3, 1, 1, 2);
        var b = Ramp(10, 2, 1, 1, 2);
        var joined = Concat(a, b, "y");
        T.Shape(joined.Samples, 3, 1, 2, 2);
        // The second batch [b0, b1] is tiled to [b0, b1, b0] and put under each item of a.
        T.Equal([0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 10, 11], joined.Samples);
        T.Equal([10, 11, 0, 1, 12, 13, 2, 3, 10, 11, 4, 5], Concat(a, b, "-y").Samples);
        // On a 4-D latent the third axis from the end is the channel axis.
        var channels = Concat(Ramp(0, 1, 1, 1, 2), Ramp(10, 1, 2, 1, 2), "t");
        T.Shape(channels.Samples, 1, 3, 1, 2);
        T.Equal([0, 1, 10, 11, 12, 13], channels.Samples);
        var video = Concat(Ramp(0, 1, 1, 2, 1, 1), Ramp(10, 1, 1, 1, 1, 1), "-t");
        T.Equal([10, 0, 1], video.Samples);
    }

    [Fact]
    public void LatentConcat_rejects_mismatched_shapes_and_oversized_results()
    {
        var error = Assert.Throws<NodeException>(() => Concat(Ramp(0, 1, 4, 2, 3), Ramp(0, 1, 4, 3, 3), "x"));
        Assert.Contains("LatentConcat", error.Message, StringComparison.Ordinal);
        Assert.Throws<NodeException>(() => Concat(Ramp(0, 1, 4, 2, 3), Ramp(0, 1, 4, 2), "x"));
        using var small = new ImagingTestContext(new ServerOptions { MaxTensorElements = 20 });
        Assert.Throws<NodeException>(() => small.Run(new LatentConcat(), (LatentConcat.Samples1, Ramp(0, 1, 1, 2, 6)),
            (LatentConcat.Samples2, Ramp(0, 1, 1, 2, 6)), (LatentConcat.Dim, "x")));
    }

    private LatentValue Cut(LatentValue latent, string dim, long index, long amount) =>
        Run(new LatentCut(), (LatentCut.Samples, latent), (LatentCut.Dim, dim), (LatentCut.Index, index), (LatentCut.Amount, amount));

    [Theory]
    [InlineData(1L, 2L, new float[] { 1, 2 })]
    [InlineData(4L, 3L, new float[] { 4 })]
    [InlineData(9L, 2L, new float[] { 4 })]
    [InlineData(-2L, 5L, new float[] { 3, 4 })]
    [InlineData(-9L, 2L, new float[] { 0, 1 })]
    [InlineData(0L, 16384L, new float[] { 0, 1, 2, 3, 4 })]
    public void LatentCut_clamps_index_and_amount_to_the_axis(long index, long amount, float[] expected)
    {
        var latent = Ramp(0, 1, 1, 1, 5) with { BatchIndex = [2] };
        var cut = Cut(latent, "x", index, amount);
        T.Equal(expected, cut.Samples);
        Assert.Equal([2L], cut.BatchIndex!);
    }

    [Fact]
    public void LatentCut_cuts_heights_channels_and_video_frames()
    {
        // [1, 2, 3, 2]: keep row 1 of each channel.
        T.Equal([2, 3, 8, 9], Cut(Ramp(0, 1, 2, 3, 2), "y", 1, 1).Samples);
        T.Equal([2, 3, 4, 5], Cut(Ramp(0, 1, 3, 1, 2), "t", -2, 2).Samples);
        var video = Cut(Ramp(0, 1, 1, 4, 1, 2), "t", 2, 9);
        T.Shape(video.Samples, 1, 1, 2, 1, 2);
        T.Equal([4, 5, 6, 7], video.Samples);
        Assert.Throws<NodeException>(() => Cut(Ramp(0, 1, 2), "t", 0, 1));
    }

    private LatentValue CutToBatch(LatentValue latent, string dim, long size) =>
        Run(new LatentCutToBatch(), (LatentCutToBatch.Samples, latent), (LatentCutToBatch.Dim, dim), (LatentCutToBatch.SliceSize, size));

    [Fact]
    public void LatentCutToBatch_stacks_pieces_of_each_item_and_drops_the_tail()
    {
        var widths = CutToBatch(Ramp(0, 2, 1, 1, 5), "x", 2);
        T.Shape(widths.Samples, 4, 1, 1, 2);
        T.Equal([0, 1, 2, 3, 5, 6, 7, 8], widths.Samples);

        // [1, 2, 3, 2] cut into single rows: item k is row k of both channels.
        var rows = CutToBatch(Ramp(0, 1, 2, 3, 2), "y", 1);
        T.Shape(rows.Samples, 3, 2, 1, 2);
        var expected = new List<float>();
        for (int k = 0; k < 3; k++)
        {
            for (int c = 0; c < 2; c++)
            {
                expected.Add((c * 6) + (k * 2));
                expected.Add((c * 6) + (k * 2) + 1);
            }
        }
        T.Equal([.. expected], rows.Samples);

        // Video frames [1, 2, 4, 1, 1] in pairs: out[k, c, j] = in[0, c, 2k + j].
        var frames = CutToBatch(Ramp(0, 1, 2, 4, 1, 1), "t", 2);
        T.Shape(frames.Samples, 2, 2, 2, 1, 1);
        T.Equal([0, 1, 4, 5, 2, 3, 6, 7], frames.Samples);
    }

    [Fact]
    public void LatentCutToBatch_keeps_image_latents_on_t_and_clamps_the_slice()
    {
        var latent = Ramp(0, 1, 4, 2, 3);
        Assert.Same(latent, CutToBatch(latent, "t", 2));
        var whole = CutToBatch(latent, "x", 9);
        T.Shape(whole.Samples, 1, 4, 2, 3);
        T.Equal(T.Values(latent.Samples), whole.Samples);
    }

    private List<LatentValue> Rebatch(long batchSize, params LatentValue[] latents)
    {
        var output = _context.Run(new RebatchLatents(), (RebatchLatents.Latents, latents.Cast<object?>().ToList()),
            (RebatchLatents.BatchSize, new List<object?> { batchSize }));
        return [.. Assert.IsType<List<object?>>(output.Values.Single()).Cast<LatentValue>()];
    }

    [Fact]
    public void RebatchLatents_regroups_items_and_numbers_them()
    {
        var a = Ramp(0, 3, 1, 1, 1);
        var b = Ramp(10, 2, 1, 1, 1) with { BatchIndex = [7, 8] };
        var c = Ramp(20, 1, 1, 2, 2);
        var output = Rebatch(2, a, b, c);
        Assert.Equal(4, output.Count);
        T.Equal([0, 1], output[0].Samples);
        T.Equal([2, 10], output[1].Samples);
        T.Equal([11], output[2].Samples); // a change of size closes the group
        T.Equal([20, 21, 22, 23], output[3].Samples);
        Assert.Equal([0L, 1L], output[0].BatchIndex!);
        Assert.Equal([2L, 7L], output[1].BatchIndex!);
        Assert.Equal([8L], output[2].BatchIndex!);
        Assert.Equal([5L], output[3].BatchIndex!); // its position in the whole input list
        Assert.All(output, l => Assert.Null(l.NoiseMask));
        Assert.True(new RebatchLatents().Schema.InputIsList);
        Assert.True(new RebatchLatents().Schema.Outputs[0].IsList);
    }

    [Fact]
    public void RebatchLatents_carries_masks_and_drops_all_ones_masks()
    {
        var a = Ramp(0, 2, 1, 1, 1) with { NoiseMask = zeros(1, 1, 8, 8) };
        var b = Ramp(10, 1, 1, 1, 1);
        var pairs = Rebatch(2, a, b);
        Assert.Equal(2, pairs.Count);
        T.Shape(pairs[0].NoiseMask!, 2, 1, 8, 8);
        Assert.Equal(0f, pairs[0].NoiseMask!.abs().sum().item<float>());
        Assert.Null(pairs[1].NoiseMask);

        var triple = Assert.Single(Rebatch(3, a, b));
        T.Shape(triple.NoiseMask!, 3, 1, 8, 8);
        // The missing mask is filled with ones: item 2 only.
        Assert.Equal(64f, triple.NoiseMask!.sum().item<float>());
        Assert.Equal(64f, triple.NoiseMask![2].sum().item<float>());
    }

    [Fact]
    public void RebatchLatents_rejects_bad_latents()
    {
        Assert.Throws<NodeException>(() => Rebatch(2, Ramp(0, 1, 4, 2)));
        Assert.Throws<NodeException>(() => Rebatch(2, Ramp(0, 1, 4, 1, 1), Ramp(0, 1, 3, 1, 1)));
        Assert.Throws<NodeException>(() => Rebatch(2, Ramp(0, 2, 4, 1, 1) with { BatchIndex = [1] }));
        using var small = new ImagingTestContext(new ServerOptions { MaxTensorElements = 100 });
        Assert.Throws<NodeException>(() => small.Run(new RebatchLatents(), (RebatchLatents.Latents, new List<object?> { Ramp(0, 1, 4, 2, 2) }),
            (RebatchLatents.BatchSize, new List<object?> { 1L })));
    }
}
