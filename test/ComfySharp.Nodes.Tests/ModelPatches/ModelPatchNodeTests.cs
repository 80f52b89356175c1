using ComfySharp.Diffusion.Models;
using ComfySharp.Nodes.ModelPatches;
using ComfySharp.Nodes.Sampling.Custom;
using ComfySharp.Torch.Tensors;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.ModelPatches;

/// <summary>The model-patch nodes on a tiny random-weight UNet: neutral settings equal plain sampling, and the patches act through every sampler.</summary>
public sealed class ModelPatchNodeTests
{
    private static ModelPatcher Patch(ComfyNodeFactory factory, Dictionary<string, object?> values)
    {
        values["model"] = Model;
        return One<ModelPatcher>(factory(), values);
    }

    private delegate Abstractions.ComfyNode ComfyNodeFactory();

    [Fact]
    public void FreeU_with_unit_factors_leaves_sampling_unchanged()
    {
        Tensor plain = KSample(Model);
        var free = Patch(() => new FreeU(), new() { ["b1"] = 1.0, ["b2"] = 1.0, ["s1"] = 1.0, ["s2"] = 1.0 });
        var free2 = Patch(() => new FreeU_V2(), new() { ["b1"] = 1.0, ["b2"] = 1.0, ["s1"] = 1.0, ["s2"] = 1.0 });
        Close(plain, KSample(free), 1e-4);
        Close(plain, KSample(free2), 1e-4);
    }

    [Fact]
    public void FreeU_changes_sampling_and_never_the_loaders_model()
    {
        Tensor before = KSample(Model);
        var free = Patch(() => new FreeU(), new() { ["b1"] = 1.1, ["b2"] = 1.5, ["s1"] = 0.9, ["s2"] = 0.2 });
        Tensor patched = KSample(free);
        Differs(before, patched);
        Same(patched, KSample(free));
        Assert.Same(ModelOptions.None, Model.Options);
        Same(before, KSample(Model));
    }

    [Fact]
    public void Fourier_filter_scales_only_the_lowest_frequencies()
    {
        // A constant is pure DC (inside the filtered band); a checkerboard is the Nyquist frequency (outside it).
        Tensor checker = (ScalarMath.Arange(8).view(8, 1) + ScalarMath.Arange(8).view(1, 8)).Rem(2).Mul(2.0).Sub(1.0).to_type(ScalarType.Float32).view(1, 1, 8, 8);
        Tensor constant = ones(1, 1, 8, 8).Mul(3.0);
        Tensor filtered = Diffusion.Patches.FreeUPatch.FourierFilter(checker.Add(constant), 1, 0.25);
        Close(checker.Add(constant.Mul(0.25)), filtered);
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("dpmpp_2m")]
    [InlineData("euler_ancestral")]
    public void RescaleCFG_at_multiplier_zero_is_plain_CFG(string sampler)
    {
        var rescale = Patch(() => new RescaleCFG(), new() { ["multiplier"] = 0.0 });
        Close(KSample(Model, sampler), KSample(rescale, sampler), 1e-4);
        Differs(KSample(Model, sampler), KSample(Patch(() => new RescaleCFG(), new() { ["multiplier"] = 1.0 }), sampler));
    }

    [Fact]
    public void RescaleCFG_at_multiplier_one_matches_the_positive_std_in_v_space()
    {
        Tensor x = randn(2, 4, 6, 6), cond = randn(2, 4, 6, 6), uncond = randn(2, 4, 6, 6), sigma = tensor(new[] { 2.0f, 0.5f });
        Tensor result = Diffusion.Patches.GuidancePatches.RescaleCfg(1.0)(Step(x, sigma, cond, uncond, 5.0));
        for (int i = 0; i < 2; i++)
        {
            double s = sigma[i].item<float>();
            double root = Math.Sqrt(s * s + 1);
            Tensor scaled = x[i].Div(s * s + 1);
            Tensor condV = (scaled - cond[i]).Mul(root / s);
            Tensor resultV = (scaled - result[i]).Mul(root / s);
            Assert.Equal(condV.std().item<float>(), resultV.std().item<float>(), 3);
        }
    }

    [Fact]
    public void PerturbedAttentionGuidance_at_scale_zero_is_plain_CFG_and_linear_in_its_scale()
    {
        Tensor plain = OneStep(Model, 5.0, 3f, out _);
        Same(plain, OneStep(Patch(() => new PerturbedAttentionGuidance(), new() { ["scale"] = 0.0 }), 5.0, 3f, out _));
        Tensor one = OneStep(Patch(() => new PerturbedAttentionGuidance(), new() { ["scale"] = 1.0 }), 5.0, 3f, out _);
        Tensor two = OneStep(Patch(() => new PerturbedAttentionGuidance(), new() { ["scale"] = 2.0 }), 5.0, 3f, out _);
        Differs(plain, one);
        Close(two - one, one - plain, 1e-4);
    }

    [Fact]
    public void SelfAttentionGuidance_at_scale_zero_is_plain_CFG_and_linear_in_its_scale()
    {
        Tensor plain = OneStep(Model, 5.0, 3f, out _);
        Close(plain, OneStep(Patch(() => new SelfAttentionGuidance(), new() { ["scale"] = 0.0, ["blur_sigma"] = 2.0 }), 5.0, 3f, out _), 1e-4);
        Tensor one = OneStep(Patch(() => new SelfAttentionGuidance(), new() { ["scale"] = 1.0, ["blur_sigma"] = 2.0 }), 5.0, 3f, out _);
        Tensor two = OneStep(Patch(() => new SelfAttentionGuidance(), new() { ["scale"] = 2.0, ["blur_sigma"] = 2.0 }), 5.0, 3f, out _);
        Differs(plain, one);
        Close(two - one, one - plain, 1e-4);
        // At cfg 1 the negative pass still runs (the recorded attention needs it).
        Assert.True(KSample(Patch(() => new SelfAttentionGuidance(), new() { ["scale"] = 0.5, ["blur_sigma"] = 2.0 }), cfg: 1.0).isfinite().all().item<bool>());
    }

    [Fact]
    public void Gaussian_blur_keeps_constants_and_averages_a_spike_with_the_normalised_kernel()
    {
        Tensor constant = ones(1, 2, 10, 10).Mul(0.7);
        Close(constant, Diffusion.Patches.SelfAttentionGuidancePatch.GaussianBlur(constant, 9, 2.0));
        Tensor spike = zeros(1, 1, 11, 11);
        spike[0, 0, 5, 5] = tensor(1f);
        Tensor blurred = Diffusion.Patches.SelfAttentionGuidancePatch.GaussianBlur(spike, 9, 2.0);
        double[] pdf = [.. Enumerable.Range(-4, 9).Select(o => Math.Exp(-0.5 * o * o / 4.0))];
        double total = pdf.Sum();
        Assert.Equal(pdf[4] / total * (pdf[4] / total), blurred[0, 0, 5, 5].item<float>(), 5);
        Assert.Equal(pdf[0] / total * (pdf[4] / total), blurred[0, 0, 1, 5].item<float>(), 5);
    }

    [Fact]
    public void HyperTile_with_a_tile_over_the_latent_is_plain_sampling_and_tiles_otherwise()
    {
        Tensor plain = KSample(Model, size: 16);
        Close(plain, KSample(Patch(() => new HyperTile(), new() { ["tile_size"] = 256L, ["swap_size"] = 1L, ["max_depth"] = 0L, ["scale_depth"] = false }), size: 16), 1e-5);
        var tiled = Patch(() => new HyperTile(), new() { ["tile_size"] = 32L, ["swap_size"] = 2L, ["max_depth"] = 1L, ["scale_depth"] = false });
        Tensor result = KSample(tiled, size: 16);
        Differs(plain, result);
        Assert.True(result.isfinite().all().item<bool>());
    }

    [Fact]
    public void HyperTile_draws_like_Python()
    {
        // Values printed by CPython 3: random.seed(0); random.random() / random.seed(1); randint(0, 9) twice / random.seed(2**40 + 7); random.random().
        Assert.Equal(0.8444218515250481, new Diffusion.Patches.PythonRandom(0).NextDouble());
        var one = new Diffusion.Patches.PythonRandom(1);
        Assert.Equal(2, one.RandInt(0, 9));
        Assert.Equal(9, one.RandInt(0, 9));
        Assert.Equal(0.6137037779936511, new Diffusion.Patches.PythonRandom((1UL << 40) + 7).NextDouble());
        // Divisors of 16 from 4: 4, 8 → quotients [4, 2]; CPython: random.seed(5); randint(0, 1) = 1, random.seed(6) → 0.
        Assert.Equal(2, Diffusion.Patches.HyperTilePatch.RandomDivisor(16, 4, 2, 5));
        Assert.Equal(4, Diffusion.Patches.HyperTilePatch.RandomDivisor(16, 4, 2, 6));
        Assert.Equal((16L, 16L), Diffusion.Patches.HyperTilePatch.FindHeightWidth(256, 1.0));
        Assert.Equal((12L, 8L), Diffusion.Patches.HyperTilePatch.FindHeightWidth(96, 1.5));
    }

    [Fact]
    public void PatchModelAddDownscale_outside_its_sigma_range_is_plain_sampling()
    {
        Tensor plain = KSample(Model);
        var never = Patch(() => new PatchModelAddDownscale(), new()
        {
            ["block_number"] = 1L, ["downscale_factor"] = 2.0, ["start_percent"] = 1.0, ["end_percent"] = 1.0, ["downscale_after_skip"] = true,
            ["downscale_method"] = "bicubic", ["upscale_method"] = "bicubic",
        });
        Same(plain, KSample(never));
        foreach (bool afterSkip in new[] { true, false })
        {
            var shrink = Patch(() => new PatchModelAddDownscale(), new()
            {
                ["block_number"] = 1L, ["downscale_factor"] = 2.0, ["start_percent"] = 0.0, ["end_percent"] = 0.5, ["downscale_after_skip"] = afterSkip,
                ["downscale_method"] = "bislerp", ["upscale_method"] = "bilinear",
            });
            Tensor result = KSample(shrink);
            Assert.Equal(plain.shape, result.shape);
            Differs(plain, result);
        }
    }

    [Fact]
    public void Epsilon_scaling_divides_the_guided_noise()
    {
        Tensor plain = OneStep(Model, 4.0, 2.5f, out Tensor x);
        Tensor scaled = OneStep(Patch(() => new EpsilonScaling(), new() { ["scaling_factor"] = 1.25 }), 4.0, 2.5f, out _);
        Close(x - (x - plain).Div(1.25), scaled, 1e-4);
    }

    [Fact]
    public void PerpNeg_patch_equals_the_PerpNegGuider()
    {
        var patched = Patch(() => new PerpNeg(), new() { ["empty_conditioning"] = Cond(3), ["neg_scale"] = 1.5 });
        Tensor fromPatch = KSample(patched, cfg: 4.0);
        var guider = One<Diffusion.Sampling.Guider>(new PerpNegGuider(), new()
        {
            ["model"] = Model, ["positive"] = Cond(1), ["negative"] = Cond(2), ["empty_conditioning"] = Cond(3), ["cfg"] = 4.0, ["neg_scale"] = 1.5,
        });
        var sigmas = One<float[]>(new BasicScheduler(), new() { ["model"] = Model, ["scheduler"] = "karras", ["steps"] = 3L, ["denoise"] = 1.0 });
        var outputs = Run(new SamplerCustomAdvanced(), new()
        {
            ["noise"] = new Diffusion.Sampling.RandomNoiseSource(42), ["guider"] = guider, ["sigmas"] = sigmas, ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)),
            ["sampler"] = One<Diffusion.Sampling.SamplerDefinition>(new KSamplerSelect(), new() { ["sampler_name"] = "euler" }),
        });
        Close(((LatentValue)outputs[0]!).Samples, fromPatch, 1e-4);
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("heun")]
    [InlineData("dpmpp_2m_sde")]
    [InlineData("dpmpp_2m_cfg_pp")]
    [InlineData("uni_pc")]
    public void Chained_patches_work_with_every_sampler_and_stay_deterministic(string sampler)
    {
        ModelPatcher model = Model;
        model = One<ModelPatcher>(new FreeU_V2(), new() { ["model"] = model, ["b1"] = 1.3, ["b2"] = 1.4, ["s1"] = 0.9, ["s2"] = 0.2 });
        model = One<ModelPatcher>(new RescaleCFG(), new() { ["model"] = model, ["multiplier"] = 0.7 });
        model = One<ModelPatcher>(new PerturbedAttentionGuidance(), new() { ["model"] = model, ["scale"] = 2.0 });
        model = One<ModelPatcher>(new CFGZeroStar(), new() { ["model"] = model });
        model = One<ModelPatcher>(new CFGNorm(), new() { ["model"] = model, ["strength"] = 1.0 });
        model = One<ModelPatcher>(new SelfAttentionGuidance(), new() { ["model"] = model, ["scale"] = 0.5, ["blur_sigma"] = 2.0 });
        Tensor first = KSample(model, sampler);
        Assert.True(first.isfinite().all().item<bool>());
        Same(first, KSample(model, sampler));
        Differs(KSample(Model, sampler), first);
    }

    [Fact]
    public void Attention_multipliers_patch_exactly_the_named_projections()
    {
        var same = Patch(() => new UNetSelfAttentionMultiply(), new() { ["q"] = 1.0, ["k"] = 1.0, ["v"] = 1.0, ["out"] = 1.0 });
        Assert.Empty(same.Patches);
        var self = Patch(() => new UNetSelfAttentionMultiply(), new() { ["q"] = 2.0, ["k"] = 1.0, ["v"] = 1.0, ["out"] = 0.5 });
        // Four transformers (input 1, middle, outputs 3 and 4), each: q weight; out weight and bias.
        Assert.Equal(12, self.Patches.Count);
        Assert.All(self.Patches, p => Assert.Contains(".attn1.", p.Key, StringComparison.Ordinal));
        var cross = Patch(() => new UNetCrossAttentionMultiply(), new() { ["q"] = 1.0, ["k"] = 3.0, ["v"] = 1.0, ["out"] = 1.0 });
        Assert.All(cross.Patches, p => Assert.EndsWith(".attn2.to_k.weight", p.Key, StringComparison.Ordinal));
        // Scaling the self-attention values by 0 removes their contribution; the result differs and the shared weights are restored.
        var weightsBefore = Model.Network.Module.named_parameters().Select(p => p.parameter.clone()).ToList();
        Differs(KSample(Model), KSample(Patch(() => new UNetSelfAttentionMultiply(), new() { ["q"] = 1.0, ["k"] = 1.0, ["v"] = 0.0, ["out"] = 1.0 })));
        foreach (var (before, (_, now)) in weightsBefore.Zip(Model.Network.Module.named_parameters()))
        {
            Same(before, now);
        }
    }

    [Fact]
    public void A_patch_node_on_a_model_without_a_UNet_is_a_clear_error()
    {
        using var fake = new Sampling.FakeNetwork();
        var error = Assert.Throws<Abstractions.NodeException>(() => One<ModelPatcher>(new FreeU(), new() { ["model"] = new ModelPatcher(fake), ["b1"] = 1.0, ["b2"] = 1.0, ["s1"] = 1.0, ["s2"] = 1.0 }));
        Assert.Contains("UNet", error.Message, StringComparison.Ordinal);
    }

    internal static CfgStep Step(Tensor x, Tensor sigma, Tensor cond, Tensor uncond, double scale) => new()
    {
        Input = x,
        Sigma = sigma,
        CondScale = scale,
        CondDenoised = cond,
        UncondDenoised = uncond,
        Denoised = uncond.Add((cond - uncond).Mul(scale)),
        Options = ModelOptions.None,
        EvaluateCond = (_, _) => throw new NotSupportedException(),
        EvaluateConditioning = (_, _) => throw new NotSupportedException(),
        Sampling = Diffusion.Sampling.ModelSamplingDiscrete.Epsilon,
    };
}
