using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.Latent;
using ComfySharp.Nodes.Tests.Image;
using ComfySharp.Nodes.Tests.ModelPatches;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>Latent operations, LatentCompositeMasked and LatentBatchSeedBehavior against closed forms.</summary>
public sealed class LatentUtilityNodeTests
{
    private static LatentOperation Operation(Abstractions.ComfyNode node, Dictionary<string, object?> values) => PatchTestKit.One<LatentOperation>(node, values);

    [Fact]
    public void Tonemap_reinhard_maps_each_pixel_vector_length()
    {
        Tensor latent = randn(1, 4, 3, 3, generator: new Generator(5));
        Tensor result = Operation(new LatentOperationTonemapReinhard(), new() { ["multiplier"] = 0.5 }).Apply(latent);
        float[] x = latent.contiguous().data<float>().ToArray();
        double[] magnitude = new double[9];
        for (int p = 0; p < 9; p++)
        {
            magnitude[p] = Math.Sqrt(Enumerable.Range(0, 4).Sum(c => (double)x[c * 9 + p] * x[c * 9 + p])) + 1e-10;
        }
        double mean = magnitude.Average();
        double std = Math.Sqrt(magnitude.Sum(m => (m - mean) * (m - mean)) / 8);
        double top = (std * 5 + mean) * 0.5;
        float[] actual = result.contiguous().data<float>().ToArray();
        for (int c = 0; c < 4; c++)
        {
            for (int p = 0; p < 9; p++)
            {
                double scaled = magnitude[p] / top;
                double expected = x[c * 9 + p] / magnitude[p] * (scaled / (scaled + 1) * top);
                Assert.Equal(expected, actual[c * 9 + p], 4);
            }
        }
    }

    [Fact]
    public void Sharpen_with_alpha_zero_keeps_the_latent_and_sharpens_otherwise()
    {
        Tensor latent = randn(1, 4, 6, 6, generator: new Generator(6));
        Tensor same = Operation(new LatentOperationSharpen(), new() { ["sharpen_radius"] = 2L, ["sigma"] = 1.0, ["alpha"] = 0.0 }).Apply(latent);
        Assert.True(latent.allclose(same, 1e-5, 1e-5));
        Tensor sharp = Operation(new LatentOperationSharpen(), new() { ["sharpen_radius"] = 2L, ["sigma"] = 1.0, ["alpha"] = 0.5 }).Apply(latent);
        Assert.True((sharp - latent).abs().max().item<float>() > 1e-3);
        // Sharpening a constant field changes nothing: the kernel sums to 1.
        Tensor flat = ones(1, 4, 6, 6).Mul(0.3);
        Assert.True(flat.allclose(Operation(new LatentOperationSharpen(), new() { ["sharpen_radius"] = 2L, ["sigma"] = 1.0, ["alpha"] = 0.5 }).Apply(flat), 1e-5, 1e-5));
        Assert.Throws<Abstractions.NodeException>(() => Operation(new LatentOperationSharpen(), new() { ["sharpen_radius"] = 9L, ["sigma"] = 1.0, ["alpha"] = 0.5 }).Apply(latent));
    }

    [Fact]
    public void LatentApplyOperation_and_CFG_variant_apply_the_operation()
    {
        var identity = new LatentOperation(t => t.alias());
        var doubled = new LatentOperation(t => t.Mul(2.0));
        Tensor samples = ones(1, 4, 2, 2);
        var applied = PatchTestKit.One<LatentValue>(new LatentApplyOperation(), new() { ["samples"] = new LatentValue(samples), ["operation"] = doubled });
        Assert.True(applied.Samples.allclose(samples.Mul(2.0)));

        Tensor plain = PatchTestKit.KSample(PatchTestKit.Model);
        var same = PatchTestKit.One<ModelPatcher>(new LatentApplyOperationCFG(), new() { ["model"] = PatchTestKit.Model, ["operation"] = identity });
        PatchTestKit.Close(plain, PatchTestKit.KSample(same), 1e-4);
        // Doubling (cond − uncond) before CFG at scale s is CFG at scale 2s.
        var twice = PatchTestKit.One<ModelPatcher>(new LatentApplyOperationCFG(), new() { ["model"] = PatchTestKit.Model, ["operation"] = doubled });
        PatchTestKit.Close(PatchTestKit.KSample(PatchTestKit.Model, cfg: 8.0), PatchTestKit.KSample(twice, cfg: 4.0), 1e-4);
    }

    [Fact]
    public void LatentCompositeMasked_pastes_at_multiples_of_eight_through_the_mask()
    {
        using var context = new ImagingTestContext();
        var destination = new LatentValue(zeros(1, 4, 4, 4)) { BatchIndex = [3] };
        var source = new LatentValue(ones(1, 4, 2, 2));
        var pasted = (LatentValue)context.Run(new LatentCompositeMasked(), (LatentCompositeMasked.Destination, destination), (LatentCompositeMasked.Source, source),
            (LatentCompositeMasked.X, 8L), (LatentCompositeMasked.Y, 16L), (LatentCompositeMasked.ResizeSource, false)).Values[0]!;
        Tensor expected = zeros(1, 4, 4, 4);
        expected.narrow(2, 2, 2).narrow(3, 1, 2).copy_(ones(1, 4, 2, 2));
        Assert.True(expected.eq(pasted.Samples).all().item<bool>());
        Assert.Equal([3L], pasted.BatchIndex!);
        Assert.True(destination.Samples.count_nonzero().item<long>() == 0, "the input latent was changed");

        Tensor half = ones(2, 2).Mul(0.25);
        var masked = (LatentValue)context.Run(new LatentCompositeMasked(), (LatentCompositeMasked.Destination, destination), (LatentCompositeMasked.Source, source),
            (LatentCompositeMasked.X, 0L), (LatentCompositeMasked.Y, 0L), (LatentCompositeMasked.ResizeSource, false), (LatentCompositeMasked.Mask, half)).Values[0]!;
        Assert.Equal(0.25f, masked.Samples[0, 0, 0, 0].item<float>(), 6);
        Assert.Throws<Abstractions.NodeException>(() => context.Run(new LatentCompositeMasked(), (LatentCompositeMasked.Destination, destination),
            (LatentCompositeMasked.Source, new LatentValue(ones(1, 16, 2, 2))), (LatentCompositeMasked.X, 0L), (LatentCompositeMasked.Y, 0L), (LatentCompositeMasked.ResizeSource, false)));
    }

    [Fact]
    public void LatentBatchSeedBehavior_fixes_or_frees_the_batch_indices()
    {
        var latent = new LatentValue(zeros(3, 4, 2, 2)) { BatchIndex = [5, 6, 7] };
        var fixedLatent = PatchTestKit.One<LatentValue>(new LatentBatchSeedBehavior(), new() { ["samples"] = latent, ["seed_behavior"] = "fixed" });
        Assert.Equal([5L, 5L, 5L], fixedLatent.BatchIndex!);
        var plain = PatchTestKit.One<LatentValue>(new LatentBatchSeedBehavior(), new() { ["samples"] = new LatentValue(zeros(2, 4, 2, 2)), ["seed_behavior"] = "fixed" });
        Assert.Equal([0L, 0L], plain.BatchIndex!);
        Assert.Null(PatchTestKit.One<LatentValue>(new LatentBatchSeedBehavior(), new() { ["samples"] = latent, ["seed_behavior"] = "random" }).BatchIndex);
    }
}
