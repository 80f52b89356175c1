using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Tests.Image;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Latent;

public sealed class LatentNodeTests : IDisposable
{
    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private LatentValue RunLatent(ComfySharp.Abstractions.ComfyNode node, params (ComfySharp.Abstractions.InputSpec, object?)[] inputs) =>
        (LatentValue)_context.Run(node, inputs).Values[0]!;

    private static LatentValue Ramp(long b, long c, long h, long w) => new(arange(b * c * h * w, ScalarType.Float32).reshape(b, c, h, w));

    [Fact]
    public void EmptyLatentImage_is_zeros_of_an_eighth()
    {
        var latent = RunLatent(new EmptyLatentImage(), (EmptyLatentImage.Width, 72L), (EmptyLatentImage.Height, 64L), (EmptyLatentImage.BatchSize, 2L));
        T.Shape(latent.Samples, 2, 4, 8, 9);
        Assert.Equal(0f, latent.Samples.abs().sum().item<float>());
        Assert.Null(latent.NoiseMask);
    }

    [Fact]
    public void LatentUpscale_sizes()
    {
        var input = Ramp(1, 4, 8, 16) with { NoiseMask = ones([1L, 1, 8, 16]) };
        Assert.Same(input, RunLatent(new LatentUpscale(), (LatentUpscale.Samples, input), (LatentUpscale.UpscaleMethod, "bilinear"), (LatentUpscale.Width, 0L), (LatentUpscale.Height, 0L), (LatentUpscale.Crop, "disabled")));
        var scaled = RunLatent(new LatentUpscale(), (LatentUpscale.Samples, input), (LatentUpscale.UpscaleMethod, "nearest-exact"), (LatentUpscale.Width, 256L), (LatentUpscale.Height, 0L), (LatentUpscale.Crop, "disabled"));
        T.Shape(scaled.Samples, 1, 4, 16, 32);
        Assert.Same(input.NoiseMask, scaled.NoiseMask);
        // Sides below 64 pixels are raised to 64 (8 latent pixels).
        var small = RunLatent(new LatentUpscale(), (LatentUpscale.Samples, input), (LatentUpscale.UpscaleMethod, "bislerp"), (LatentUpscale.Width, 8L), (LatentUpscale.Height, 16L), (LatentUpscale.Crop, "center"));
        T.Shape(small.Samples, 1, 4, 8, 8);
    }

    [Fact]
    public void LatentUpscaleBy_rounds()
    {
        var scaled = RunLatent(new LatentUpscaleBy(), (LatentUpscaleBy.Samples, Ramp(1, 4, 5, 3)), (LatentUpscaleBy.UpscaleMethod, "area"), (LatentUpscaleBy.ScaleBy, 1.5));
        T.Shape(scaled.Samples, 1, 4, 8, 4);
    }

    [Fact]
    public void LatentComposite_pastes_and_feathers()
    {
        var to = new LatentValue(zeros([1L, 1, 4, 4]));
        var from = new LatentValue(ones([1L, 1, 2, 8]));
        var pasted = RunLatent(new LatentComposite(), (LatentComposite.SamplesTo, to), (LatentComposite.SamplesFrom, from), (LatentComposite.X, 8L), (LatentComposite.Y, 16L), (LatentComposite.Feather, 0L));
        T.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1], pasted.Samples);
        Assert.Equal(0f, to.Samples.sum().item<float>());

        var feathered = RunLatent(new LatentComposite(), (LatentComposite.SamplesTo, to), (LatentComposite.SamplesFrom, new LatentValue(ones([1L, 1, 2, 2]))),
            (LatentComposite.X, 8L), (LatentComposite.Y, 8L), (LatentComposite.Feather, 8L));
        // A 2×2 block at (1, 1), inside on every side: each edge row/column × 1, so with feather 1 every factor is 1/1.
        T.Equal([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0], feathered.Samples);

        var ramp = RunLatent(new LatentComposite(), (LatentComposite.SamplesTo, new LatentValue(zeros([1L, 1, 1, 6]))), (LatentComposite.SamplesFrom, new LatentValue(ones([1L, 1, 1, 4]))),
            (LatentComposite.X, 8L), (LatentComposite.Y, 0L), (LatentComposite.Feather, 16L));
        // feather 2 on the left and right edges (both inside): columns × 1/2, 1 from each side.
        T.Equal([0f, 0.5f, 1f, 1f, 0.5f, 0f], ramp.Samples);
    }

    [Fact]
    public void LatentBlend_weights_and_resizes()
    {
        var a = new LatentValue(full([1L, 1, 2, 2], 1f)) { BatchIndex = [3] };
        var b = new LatentValue(full([1L, 1, 2, 2], 3f));
        var blended = RunLatent(new LatentBlend(), (LatentBlend.Samples1, a), (LatentBlend.Samples2, b), (LatentBlend.BlendFactor, 0.25));
        T.Equal([2.5f, 2.5f, 2.5f, 2.5f], blended.Samples);
        Assert.Equal([3L], blended.BatchIndex!);
        var resized = RunLatent(new LatentBlend(), (LatentBlend.Samples1, a), (LatentBlend.Samples2, new LatentValue(full([1L, 1, 4, 4], 3f))), (LatentBlend.BlendFactor, 0.5));
        T.Equal([2f, 2f, 2f, 2f], resized.Samples, 1e-6f);
    }

    [Fact]
    public void LatentCrop_limits_the_corner()
    {
        var input = Ramp(1, 1, 10, 10);
        var cropped = RunLatent(new LatentCrop(), (LatentCrop.Samples, input), (LatentCrop.Width, 64L), (LatentCrop.Height, 64L), (LatentCrop.X, 80L), (LatentCrop.Y, 8L));
        // x = 10 is limited to 10 − 8 = 2; the 8×8 window is rows 1..8, columns 2..9.
        T.Shape(cropped.Samples, 1, 1, 8, 8);
        Assert.Equal(12f, cropped.Samples[0, 0, 0, 0].item<float>());
        Assert.Equal(89f, cropped.Samples[0, 0, 7, 7].item<float>());
    }

    [Fact]
    public void LatentFlip_and_LatentRotate()
    {
        var input = new LatentValue(T.Of([1, 2, 3, 4, 5, 6], 1, 1, 2, 3));
        T.Equal([4, 5, 6, 1, 2, 3], RunLatent(new LatentFlip(), (LatentFlip.Samples, input), (LatentFlip.FlipMethod, "x-axis: vertically")).Samples);
        T.Equal([3, 2, 1, 6, 5, 4], RunLatent(new LatentFlip(), (LatentFlip.Samples, input), (LatentFlip.FlipMethod, "y-axis: horizontally")).Samples);
        var quarter = RunLatent(new LatentRotate(), (LatentRotate.Samples, input), (LatentRotate.Rotation, "90 degrees")).Samples;
        // Clockwise: [1 2 3; 4 5 6] → [4 1; 5 2; 6 3].
        T.Shape(quarter, 1, 1, 3, 2);
        T.Equal([4, 1, 5, 2, 6, 3], quarter);
        T.Equal([6, 5, 4, 3, 2, 1], RunLatent(new LatentRotate(), (LatentRotate.Samples, input), (LatentRotate.Rotation, "180 degrees")).Samples);
        T.Equal([3, 6, 2, 5, 1, 4], RunLatent(new LatentRotate(), (LatentRotate.Samples, input), (LatentRotate.Rotation, "270 degrees")).Samples);
        T.Equal([1, 2, 3, 4, 5, 6], RunLatent(new LatentRotate(), (LatentRotate.Samples, input), (LatentRotate.Rotation, "none")).Samples);
    }

    [Fact]
    public void LatentFromBatch_clamps_and_records_indices()
    {
        var input = Ramp(4, 1, 1, 1) with { NoiseMask = T.Of([10, 20], 2, 1, 1, 1) };
        var picked = RunLatent(new LatentFromBatch(), (LatentFromBatch.Samples, input), (LatentFromBatch.BatchIndex, 2L), (LatentFromBatch.Length, 5L));
        T.Equal([2, 3], picked.Samples);
        Assert.Equal([2L, 3L], picked.BatchIndex!);
        // The 2-mask batch is repeated to 4 first: [10, 20, 10, 20][2..4].
        T.Equal([10, 20], picked.NoiseMask!);

        var last = RunLatent(new LatentFromBatch(), (LatentFromBatch.Samples, input with { BatchIndex = [7, 8, 9, 10], NoiseMask = T.Of([5], 1, 1, 1, 1) }), (LatentFromBatch.BatchIndex, 9L), (LatentFromBatch.Length, 1L));
        T.Equal([3], last.Samples);
        Assert.Equal([10L], last.BatchIndex!);
        T.Equal([5], last.NoiseMask!);
    }

    [Fact]
    public void RepeatLatentBatch_repeats_masks_and_offsets_indices()
    {
        var input = Ramp(2, 1, 1, 1) with { NoiseMask = T.Of([10, 20], 2, 1, 1, 1), BatchIndex = [4, 5] };
        var repeated = RunLatent(new RepeatLatentBatch(), (RepeatLatentBatch.Samples, input), (RepeatLatentBatch.Amount, 3L));
        T.Equal([0, 1, 0, 1, 0, 1], repeated.Samples);
        T.Equal([10, 20, 10, 20, 10, 20], repeated.NoiseMask!);
        Assert.Equal([4L, 5, 6, 7, 8, 9], repeated.BatchIndex!);

        var single = Ramp(1, 1, 1, 1) with { NoiseMask = T.Of([1], 1, 1, 1, 1) };
        var kept = RunLatent(new RepeatLatentBatch(), (RepeatLatentBatch.Samples, single), (RepeatLatentBatch.Amount, 2L));
        Assert.Same(single.NoiseMask, kept.NoiseMask);
        Assert.Null(kept.BatchIndex);
    }

    [Fact]
    public void SetLatentNoiseMask_reshapes_the_mask()
    {
        var latent = RunLatent(new SetLatentNoiseMask(), (SetLatentNoiseMask.Samples, Ramp(1, 4, 2, 2)), (SetLatentNoiseMask.Mask, T.Of([1, 0, 0, 1], 2, 2)));
        T.Shape(latent.NoiseMask!, 1, 1, 2, 2);
        T.Equal([1, 0, 0, 1], latent.NoiseMask!);
    }
}
