using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.ModelMerging;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Tests.Sampling;
using Xunit;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.ModelMerging;

/// <summary>Model and CLIP merges: the patched weights against the formulas, and sampling with a ratio-1 merge.</summary>
public sealed class ModelMergingNodeTests
{
    private static ModelPatcher Model(float scale)
    {
        var network = new FakeNetwork();
        using (no_grad())
        {
            network.Weight.copy_(arange(16, ScalarType.Float32).reshape(4, 4).Mul(scale));
        }
        return new ModelPatcher(network);
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static T Run<T>(ComfyNode node, Dictionary<string, object?> values) =>
        (T)node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values[0]!;

    /// <summary>The weight the merged model samples with.</summary>
    private static Tensor PatchedWeight(ModelPatcher model)
    {
        var network = (FakeNetwork)model.Network;
        using var patching = WeightPatching.Apply(network.Module, model.Patches);
        return network.Weight.detach().clone();
    }

    [Fact]
    public void Simple_add_and_subtract_follow_their_formulas()
    {
        ModelPatcher m1 = Model(0.5f), m2 = Model(-0.25f);
        Tensor w1 = PatchedWeight(m1), w2 = PatchedWeight(m2);
        Tensor Merge(ComfyNode node, Dictionary<string, object?> extra)
        {
            var values = new Dictionary<string, object?>(extra) { ["model1"] = m1, ["model2"] = m2 };
            return PatchedWeight(Run<ModelPatcher>(node, values));
        }

        Assert.True(Same(Merge(new ModelMergeSimple(), new() { ["ratio"] = 1.0 }), w1));
        Assert.True(Merge(new ModelMergeSimple(), new() { ["ratio"] = 0.25 }).allclose(w1 * 0.25f + w2 * 0.75f, rtol: 1e-6, atol: 1e-6));
        Assert.True(Merge(new ModelMergeAdd(), []).allclose(w1 + w2, rtol: 1e-6, atol: 1e-6));
        Assert.True(Merge(new ModelMergeSubtract(), new() { ["multiplier"] = 2.0 }).allclose((w1 - w2) * 2f, rtol: 1e-6, atol: 1e-6));
        // The models themselves are untouched.
        Assert.True(Same(PatchedWeight(m1), w1));
        Assert.Empty(m1.Patches);
    }

    [Fact]
    public void The_second_models_own_patches_are_merged_in()
    {
        ModelPatcher m1 = Model(0.5f);
        ModelPatcher m2 = Model(-0.25f).WithPatches([new WeightPatch("proj.weight", 0.5, w => ones_like(w))]);
        Tensor expected = PatchedWeight(m1) * 0.5f + PatchedWeight(m2) * 0.5f;
        Tensor merged = PatchedWeight(Run<ModelPatcher>(new ModelMergeSimple(), new() { ["model1"] = m1, ["model2"] = m2, ["ratio"] = 0.5 }));
        Assert.True(merged.allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Ratio_one_merge_samples_exactly_like_the_first_model()
    {
        ModelPatcher m1 = Model(0.05f), m2 = Model(-0.1f);
        ModelPatcher merged = Run<ModelPatcher>(new ModelMergeSimple(), new() { ["model1"] = m1, ["model2"] = m2, ["ratio"] = 1.0 });
        LatentValue Sample(ModelPatcher model) => Run<LatentValue>(new KSampler(), new()
        {
            ["model"] = model, ["seed"] = 1L, ["steps"] = 2L, ["cfg"] = 4.0, ["sampler_name"] = "euler", ["scheduler"] = "normal",
            ["positive"] = new ConditioningValue([new ConditioningEntry(full(1, 77, 8, 1f), new Dictionary<string, object?>())]),
            ["negative"] = new ConditioningValue([new ConditioningEntry(full(1, 77, 8, -1f), new Dictionary<string, object?>())]),
            ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)), ["denoise"] = 1.0,
        });
        Assert.True(Same(Sample(m1).Samples, Sample(merged).Samples));
        Assert.False(Sample(m2).Samples.allclose(Sample(merged).Samples));
    }

    [Fact]
    public void Block_ratios_pick_the_longest_matching_prefix()
    {
        (string, double)[] blocks = [("input", 0.1), ("middle", 0.2), ("out", 0.3)];
        Assert.Equal(0.1, ModelMergeBlocks.BlockRatio("input_blocks.4.1.proj_in.weight", blocks));
        Assert.Equal(0.2, ModelMergeBlocks.BlockRatio("middle_block.1.norm.bias", blocks));
        Assert.Equal(0.3, ModelMergeBlocks.BlockRatio("output_blocks.2.0.skip_connection.weight", blocks));
        Assert.Equal(0.3, ModelMergeBlocks.BlockRatio("out.2.weight", blocks));
        Assert.Equal(0.1, ModelMergeBlocks.BlockRatio("time_embed.0.weight", blocks)); // no match: the first block's ratio

        var sd1 = ModelMergeSD1.Blocks.Select((b, i) => (b.Name, (double)i)).ToArray();
        Assert.Equal(30, sd1.Length);
        Assert.Equal(2 + 1, ModelMergeBlocks.BlockRatio("input_blocks.1.0.in_layers.0.weight", sd1));
        Assert.Equal(2 + 10, ModelMergeBlocks.BlockRatio("input_blocks.10.0.in_layers.0.weight", sd1));
        Assert.Equal(29, ModelMergeBlocks.BlockRatio("out.0.bias", sd1));
        Assert.Equal(["input_blocks.8", "middle_block.0"], ModelMergeSDXL.Blocks.Skip(10).Take(2).Select(b => b.Name));

        // FakeNetwork's only weight, proj.weight, matches no block: it takes the first ratio.
        ModelPatcher m1 = Model(1f), m2 = Model(3f);
        var values = new Dictionary<string, object?> { ["model1"] = m1, ["model2"] = m2, ["input"] = 0.75, ["middle"] = 0.0, ["out"] = 0.0 };
        Tensor merged = PatchedWeight(Run<ModelPatcher>(new ModelMergeBlocks(), values));
        Assert.True(merged.allclose(PatchedWeight(m1) * 0.75f + PatchedWeight(m2) * 0.25f, rtol: 1e-6, atol: 1e-6));
    }

    private static ClipModel TinyClip(int seed)
    {
        using var encoder = new ClipTextEncoder(new ClipTextConfig(10, 4, 8, 1, 1, 16));
        using var generator = new Generator((ulong)seed, CPU);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in encoder.named_parameters())
        {
            weights[name] = randn(p.shape, generator: generator).to_type(ScalarType.Float16);
        }
        foreach (var (name, b) in encoder.named_buffers())
        {
            weights[name] = b.clone();
        }
        return ClipModel.FromWeights(weights);
    }

    [Fact]
    public void Clip_merges_patch_every_weight_but_position_ids()
    {
        ClipModel c1 = TinyClip(1), c2 = TinyClip(2);
        const string key = "encoder.layers.0.mlp.fc1.weight";
        Tensor w1 = c1.Encoder.GetStoredWeight(key).to_type(ScalarType.Float32), w2 = c2.Encoder.GetStoredWeight(key).to_type(ScalarType.Float32);
        Tensor Applied(ClipModel merged)
        {
            WeightPatch patch = Assert.Single(merged.Patches, p => p.Key == key);
            return w1 + patch.ComputeDelta(w1) * (float)patch.Strength;
        }

        var simple = Run<ClipModel>(new CLIPMergeSimple(), new() { ["clip1"] = c1, ["clip2"] = c2, ["ratio"] = 0.4 });
        Assert.True(Applied(simple).allclose(w1 * 0.4f + w2 * 0.6f, rtol: 1e-5, atol: 1e-5));
        Assert.DoesNotContain(simple.Patches, p => p.Key.EndsWith("position_ids", StringComparison.Ordinal));
        Assert.Equal(c1.Encoder.StateKeys.Count - 1, simple.Patches.Count);
        var add = Run<ClipModel>(new CLIPMergeAdd(), new() { ["clip1"] = c1, ["clip2"] = c2 });
        Assert.True(Applied(add).allclose(w1 + w2, rtol: 1e-5, atol: 1e-5));
        var subtract = Run<ClipModel>(new CLIPMergeSubtract(), new() { ["clip1"] = c1, ["clip2"] = c2, ["multiplier"] = -1.5 });
        Assert.True(Applied(subtract).allclose((w1 - w2) * -1.5f, rtol: 1e-5, atol: 1e-5));
        var same = Run<ClipModel>(new CLIPMergeSimple(), new() { ["clip1"] = c1, ["clip2"] = c2, ["ratio"] = 1.0 });
        Assert.True(Same(Applied(same), w1));
        Assert.Throws<NotSupportedException>(() => Run<ClipModel>(new CLIPMergeAdd(), new() { ["clip1"] = c1, ["clip2"] = "not a clip" }));
    }
}
