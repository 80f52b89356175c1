using ComfySharp.Diffusion.Hooks;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Hooks;
using ComfySharp.Nodes.Lora;
using ComfySharp.Nodes.Tests.ControlNet;
using ComfySharp.Torch.Tensors;
using Xunit;
using static ComfySharp.Nodes.Tests.Hooks.HookTestModels;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Hooks;

/// <summary>Hooked conditioning during sampling, checked against runs built without hooks.</summary>
public sealed class HookSamplingTests
{
    private static HookGroup LoraHooks(HookTestModels m, string lora, double strength) =>
        (HookGroup)m.Run(new CreateHookLoraModelOnly(), ("lora_name", lora), ("strength_model", strength))[0]!;

    private static ModelPatcher LoraModel(HookTestModels m, ModelPatcher model, string lora, double strength) =>
        (ModelPatcher)m.Run(new LoraLoaderModelOnly(), ("model", model), ("lora_name", lora), ("strength_model", strength))[0]!;

    private static (ConditioningValue Positive, ConditioningValue Negative) HookedPair(HookTestModels m, HookGroup hooks)
    {
        object?[] pair = m.Run(new PairConditioningSetProperties(), ("positive_NEW", Cond(1)), ("negative_NEW", Cond(2)), ("strength", 1.0),
            ("set_cond_area", "default"), ("hooks", hooks));
        return ((ConditioningValue)pair[0]!, (ConditioningValue)pair[1]!);
    }

    [Fact]
    public void A_hooked_pair_at_constant_strength_samples_like_LoraLoader()
    {
        using var m = new HookTestModels();
        float[] sigmas = Sigmas(m.Model, 4);
        var (positive, negative) = HookedPair(m, LoraHooks(m, "a.safetensors", 0.8));
        Tensor hooked = Sample(m.Model, positive, negative, 5.0, sigmas);
        Tensor expected = Sample(LoraModel(m, m.Model, "a.safetensors", 0.8), Cond(1), Cond(2), 5.0, sigmas);
        Tensor plain = Sample(m.Model, Cond(1), Cond(2), 5.0, sigmas);

        Assert.True(hooked.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(hooked - expected).abs().max().item<float>()}");
        Assert.True((plain - expected).abs().max().item<float>() > 1e-3, "the LoRA must change the result for the comparison to mean anything");
    }

    [Fact]
    public void A_keyframe_of_strength_zero_samples_exactly_like_no_lora()
    {
        using var m = new HookTestModels();
        float[] sigmas = Sigmas(m.Model, 4);
        var kf = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 0.0), ("start_percent", 0.0))[0]!;
        var hooks = (HookGroup)m.Run(new SetHookKeyframes(), ("hooks", LoraHooks(m, "a.safetensors", 1.0)), ("hook_kf", kf))[0]!;
        var (positive, negative) = HookedPair(m, hooks);

        Tensor hooked = Sample(m.Model, positive, negative, 5.0, sigmas);
        Tensor plain = Sample(m.Model, Cond(1), Cond(2), 5.0, sigmas);
        Assert.True(Same(hooked, plain));
    }

    [Fact]
    public void A_keyframe_switching_at_half_uses_the_lora_for_the_first_steps_only()
    {
        using var m = new HookTestModels();
        const int steps = 6;
        float[] sigmas = Sigmas(m.Model, steps);
        var first = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 1.0), ("start_percent", 0.0))[0]!;
        var kf = (HookKeyframeGroup)m.Run(new CreateHookKeyframe(), ("strength_mult", 0.0), ("start_percent", 0.5), ("prev_hook_kf", first))[0]!;
        var hooks = (HookGroup)m.Run(new SetHookKeyframes(), ("hooks", LoraHooks(m, "a.safetensors", 1.0)), ("hook_kf", kf))[0]!;
        var (positive, negative) = HookedPair(m, hooks);
        Tensor hooked = Sample(m.Model, positive, negative, 4.0, sigmas);

        // The second keyframe takes over at the first step whose σ is at or below the σ of 50 %.
        double half = ModelSamplingDiscrete.For(m.Model).PercentToSigma(0.5);
        int k = Array.FindIndex(sigmas, s => s <= half);
        Assert.InRange(k, 1, steps - 1);
        Tensor firstPart = Sample(LoraModel(m, m.Model, "a.safetensors", 1.0), Cond(1), Cond(2), 4.0, sigmas[..(k + 1)]);
        Tensor expected = Sample(m.Model, Cond(1), Cond(2), 4.0, sigmas[k..], noise: zeros_like(firstPart), latent: firstPart);
        Tensor allLora = Sample(LoraModel(m, m.Model, "a.safetensors", 1.0), Cond(1), Cond(2), 4.0, sigmas);

        Assert.True(hooked.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max diff {(hooked - expected).abs().max().item<float>()}");
        Assert.True((allLora - expected).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Only_the_hooked_conditioning_is_evaluated_with_the_lora()
    {
        using var m = new HookTestModels();
        HookGroup hooks = LoraHooks(m, "a.safetensors", 0.9);
        var positive = (ConditioningValue)m.Run(new ConditioningSetProperties(), ("cond_NEW", Cond(1)), ("strength", 1.0), ("set_cond_area", "default"), ("hooks", hooks))[0]!;
        float[] sigmas = [Sigmas(m.Model, 4)[1], 0f];
        const double cfg = 3.0;
        Tensor hooked = Sample(m.Model, positive, Cond(2), cfg, sigmas);

        // One Euler step to σ = 0 lands on the guided prediction D = u + (c − u)·cfg, scaled back by the latent factor.
        var sampling = ModelSamplingDiscrete.For(m.Model);
        Tensor x0 = ModelSamplingDiscrete.NoiseScaling(sigmas[0], Noise(), zeros(1, 4, 8, 8), sampling.IsMaxDenoise(sigmas[0]));
        var guider = new CfgGuider(m.UNet, sampling, Cond(1), Cond(2), cfg, 8, 8);
        Tensor sigma = tensor(new[] { sigmas[0] });
        Tensor c;
        using (WeightPatching.Apply(m.UNet, LoraModel(m, m.Model, "a.safetensors", 0.9).Patches))
        {
            c = guider.ApplyModel(x0, sigma, Cond(1)[0].Embedding);
        }
        Tensor u = guider.ApplyModel(x0, sigma, Cond(2)[0].Embedding);
        Tensor expected = (c - u).Mul(cfg).Add(u).Div(m.UNet.LatentFormat.ScaleFactor);

        Assert.True(hooked.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max diff {(hooked - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Weights_are_restored_exactly_after_a_hooked_run()
    {
        using var m = new HookTestModels();
        var before = m.UNet.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        float[] sigmas = Sigmas(m.Model, 3);
        Tensor fresh = Sample(m.Model, Cond(1), Cond(2), 5.0, sigmas);
        var (positive, negative) = HookedPair(m, LoraHooks(m, "a.safetensors", 1.0));
        _ = Sample(m.Model, positive, Cond(2), 5.0, sigmas);
        _ = Sample(LoraModel(m, m.Model, "b.safetensors", 0.5), positive, negative, 5.0, sigmas);
        Tensor again = Sample(m.Model, Cond(1), Cond(2), 5.0, sigmas);

        Assert.True(Same(again, fresh));
        foreach (var (name, parameter) in m.UNet.named_parameters())
        {
            Assert.True(Same(parameter, before[name]), name);
        }
    }

    [Fact]
    public void Combined_hooks_sample_like_both_loras_loaded()
    {
        using var m = new HookTestModels();
        float[] sigmas = Sigmas(m.Model, 3);
        var combined = (HookGroup)m.Run(new CombineHooks2(), ("hooks_A", LoraHooks(m, "a.safetensors", 0.8)), ("hooks_B", LoraHooks(m, "b.safetensors", -0.5)))[0]!;
        var (positive, negative) = HookedPair(m, combined);
        Tensor hooked = Sample(m.Model, positive, negative, 5.0, sigmas);
        ModelPatcher both = LoraModel(m, LoraModel(m, m.Model, "a.safetensors", 0.8), "b.safetensors", -0.5);
        Tensor expected = Sample(both, Cond(1), Cond(2), 5.0, sigmas);

        Assert.Equal(2, combined.Hooks.Count);
        Assert.True(hooked.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(hooked - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void A_hook_on_top_of_a_loaded_lora_adds_to_it()
    {
        using var m = new HookTestModels();
        float[] sigmas = Sigmas(m.Model, 3);
        ModelPatcher withA = LoraModel(m, m.Model, "a.safetensors", 0.6);
        var (positive, negative) = HookedPair(m, LoraHooks(m, "b.safetensors", 0.7));
        Tensor hooked = Sample(withA, positive, negative, 5.0, sigmas);
        Tensor expected = Sample(LoraModel(m, withA, "b.safetensors", 0.7), Cond(1), Cond(2), 5.0, sigmas);
        Assert.True(hooked.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(hooked - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Model_as_lora_at_strength_one_samples_like_the_other_model()
    {
        using var m = new HookTestModels();
        using var other = TinyControlNets.UNet(12);
        float[] sigmas = Sigmas(m.Model, 3);
        var weights = new ModelAsLoraHookWeights(other.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), null);
        var (positive, negative) = HookedPair(m, new HookGroup([new WeightHook(weights, 1.0, 1.0)]));
        Tensor hooked = Sample(m.Model, positive, negative, 5.0, sigmas);
        Tensor expected = Sample(new ModelPatcher(other), Cond(1), Cond(2), 5.0, sigmas);
        Tensor plain = Sample(m.Model, Cond(1), Cond(2), 5.0, sigmas);

        Assert.True(hooked.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max diff {(hooked - expected).abs().max().item<float>()}");
        Assert.True((plain - expected).abs().max().item<float>() > 1e-3);

        // A hook made from the very network being sampled changes nothing.
        var itself = new ModelAsLoraHookWeights(m.UNet.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), null);
        Assert.Empty(itself.ForDiffusionModel(m.UNet));
    }

    [Fact]
    public void A_default_entry_covers_what_the_masked_entry_leaves()
    {
        using var m = new HookTestModels();
        float[] sigmas = Sigmas(m.Model, 3);
        Tensor mask = ones(8, 8);
        mask[.., 4..] = ScalarMath.Full([8, 4], 0.25, ScalarType.Float32);
        var masked = (ConditioningValue)m.Run(new ConditioningSetProperties(), ("cond_NEW", Cond(1)), ("strength", 1.0), ("set_cond_area", "default"), ("mask", mask))[0]!;
        var withDefault = (ConditioningValue)m.Run(new ConditioningSetDefaultCombine(), ("cond", masked), ("cond_DEFAULT", Cond(3)))[0]!;
        var complement = (ConditioningValue)m.Run(new ConditioningSetProperties(), ("cond_NEW", Cond(3)), ("strength", 1.0), ("set_cond_area", "default"), ("mask", mask.RSub(1.0)))[0]!;
        var explicitly = (ConditioningValue)m.Run(new PairConditioningCombine(), ("positive_A", masked), ("negative_A", Cond(2)), ("positive_B", complement), ("negative_B", new ConditioningValue()))[0]!;

        Assert.Equal(true, withDefault[1].Get(HookKeys.Default));
        Tensor result = Sample(m.Model, withDefault, Cond(2), 3.0, sigmas);
        Tensor expected = Sample(m.Model, explicitly, Cond(2), 3.0, sigmas);
        Assert.True(result.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(result - expected).abs().max().item<float>()}");
    }
}
