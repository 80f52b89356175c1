using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Conditioning;
using ComfySharp.Nodes.Lora;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Sampling;

public sealed class ConditioningAndLoraNodeTests
{
    private static ConditioningValue Cond(float value, long tokens = 77, Tensor? pooled = null)
    {
        var options = new Dictionary<string, object?>();
        if (pooled is not null)
        {
            options[ConditioningKeys.PooledOutput] = pooled;
        }
        return [new ConditioningEntry(full(1, tokens, 8, value), options)];
    }

    private static ConditioningValue Execute(Abstractions.ComfyNode node, Dictionary<string, object?> values) =>
        (ConditioningValue)node.ExecuteAsync(new Abstractions.NodeInputs(values), new TestNodeContext()).AsTask().Result.Values[0]!;

    [Fact]
    public void Combine_average_and_concat_follow_the_reference()
    {
        ConditioningValue combined = Execute(new ConditioningCombine(), new() { ["conditioning_1"] = Cond(1), ["conditioning_2"] = Cond(2) });
        Assert.Equal(2, combined.Count);

        ConditioningValue averaged = Execute(new ConditioningAverage(), new()
        {
            ["conditioning_to"] = Cond(1, pooled: full(1, 8, 1f)), ["conditioning_from"] = Cond(3, tokens: 10, pooled: full(1, 8, 3f)), ["conditioning_to_strength"] = 0.25,
        });
        Tensor e = averaged[0].Embedding;
        Assert.Equal([1, 77, 8], e.shape);
        Assert.Equal(0.25f + 2.25f, e[0, 0, 0].item<float>(), 5);   // 1·0.25 + 3·0.75
        Assert.Equal(0.25f, e[0, 20, 0].item<float>(), 5);          // from is zero-padded past its 10 tokens
        Assert.Equal(2.5f, ((Tensor)averaged[0].Get(ConditioningKeys.PooledOutput)!)[0, 0].item<float>(), 5);

        ConditioningValue concatenated = Execute(new ConditioningConcat(), new() { ["conditioning_to"] = Cond(1), ["conditioning_from"] = Cond(2) });
        Assert.Equal([1, 154, 8], concatenated[0].Embedding.shape);
    }

    [Fact]
    public void Area_mask_zero_out_and_timestep_range_set_the_reference_options()
    {
        ConditioningValue area = Execute(new ConditioningSetArea(), new() { ["conditioning"] = Cond(1), ["width"] = 256L, ["height"] = 128L, ["x"] = 64L, ["y"] = 8L, ["strength"] = 0.5 });
        Assert.Equal(new long[] { 16, 32, 1, 8 }, (long[])area[0].Get(ConditioningKeys.Area)!);
        Assert.Equal(0.5, area[0].Get(ConditioningKeys.Strength));
        Assert.Equal(false, area[0].Get(ConditioningKeys.SetAreaToBounds));

        ConditioningValue percent = Execute(new ConditioningSetAreaPercentage(), new() { ["conditioning"] = Cond(1), ["width"] = 0.5, ["height"] = 1.0, ["x"] = 0.5, ["y"] = 0.0, ["strength"] = 1.0 });
        Assert.Equal(new PercentageArea(1.0, 0.5, 0.0, 0.5), percent[0].Get(ConditioningKeys.Area));

        ConditioningValue masked = Execute(new ConditioningSetMask(), new() { ["conditioning"] = Cond(1), ["mask"] = ones(16, 16), ["strength"] = 2.0, ["set_cond_area"] = "mask bounds" });
        Assert.Equal([1, 16, 16], ((Tensor)masked[0].Get(ConditioningKeys.Mask)!).shape);
        Assert.Equal(true, masked[0].Get(ConditioningKeys.SetAreaToBounds));
        Assert.Equal(2.0, masked[0].Get(ConditioningKeys.MaskStrength));

        ConditioningValue zero = Execute(new ConditioningZeroOut(), new() { ["conditioning"] = Cond(1, pooled: ones(1, 8)) });
        Assert.Equal(0f, zero[0].Embedding.abs().max().item<float>());
        Assert.Equal(0f, ((Tensor)zero[0].Get(ConditioningKeys.PooledOutput)!).abs().max().item<float>());

        ConditioningValue range = Execute(new ConditioningSetTimestepRange(), new() { ["conditioning"] = Cond(1), ["start"] = 0.2, ["end"] = 0.6 });
        Assert.Equal(0.2, range[0].Get(ConditioningKeys.StartPercent));
        Assert.Equal(0.6, range[0].Get(ConditioningKeys.EndPercent));
    }

    [Fact]
    public async Task Lora_patches_the_model_only_while_sampling_and_leaves_the_input_unchanged()
    {
        string root = TestPaths.NewTempDirectory();
        string loras = Path.Combine(root, "models", "loras");
        Directory.CreateDirectory(loras);
        Tensor up = tensor(new float[] { 1, 2, 3, 4 }).view(4, 1);
        Tensor down = tensor(new float[] { 0.5f, 0, 0, -0.5f }).view(1, 4);
        SafeTensorsWriter.Write(Path.Combine(loras, "tiny.safetensors"), new Dictionary<string, Tensor>
        {
            ["lora_unet_proj.lora_up.weight"] = up,
            ["lora_unet_proj.lora_down.weight"] = down,
            ["lora_unet_proj.alpha"] = tensor(new float[] { 0.5f }),
        });
        using var network = new FakeNetwork();
        var model = new ModelPatcher(network);
        var context = new TestNodeContext(services: TestNodeContext.WithModelFolders(root));
        var patched = (ModelPatcher)(await new LoraLoaderModelOnly().ExecuteAsync(new Abstractions.NodeInputs(new Dictionary<string, object?>
        {
            ["model"] = model, ["lora_name"] = "tiny.safetensors", ["strength_model"] = 0.8,
        }), context)).Values[0]!;

        Assert.Empty(model.Patches);
        WeightPatch patch = Assert.Single(patched.Patches);
        Assert.Equal("proj.weight", patch.Key);
        Tensor before = network.Weight.clone();
        using (WeightPatching.Apply(network.Module, patched.Patches))
        {
            Tensor expected = before + mm(up, down) * (0.8 * 0.5 / 1);
            Assert.True(network.Weight.allclose(expected, rtol: 1e-6, atol: 1e-7));
        }
        Assert.True(network.Weight.eq(before).all().item<bool>());

        var unchanged = await new LoraLoader().ExecuteAsync(new Abstractions.NodeInputs(new Dictionary<string, object?>
        {
            ["model"] = model, ["clip"] = "clip", ["lora_name"] = "missing.safetensors", ["strength_model"] = 0.0, ["strength_clip"] = 0.0,
        }), context);
        Assert.Same(model, unchanged.Values[0]);
        Assert.Equal("clip", unchanged.Values[1]);
    }

    [Fact]
    public void Conditioning_and_lora_nodes_are_registered()
    {
        var registry = new Abstractions.NodeRegistry();
        ConditioningNodes.Register(registry);
        LoraNodes.Register(registry);
        foreach (string name in new[] { "ConditioningCombine", "ConditioningAverage", "ConditioningConcat", "ConditioningSetArea", "ConditioningSetAreaPercentage",
            "ConditioningSetMask", "ConditioningZeroOut", "ConditioningSetTimestepRange", "LoraLoader", "LoraLoaderModelOnly" })
        {
            Assert.True(registry.Contains(name), name);
        }
    }
}
