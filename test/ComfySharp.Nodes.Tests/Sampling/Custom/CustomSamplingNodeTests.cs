using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Sampling.Custom;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Sampling.Custom;

/// <summary>SamplerCustom, SamplerCustomAdvanced, guiders, noise and sampler nodes against KSampler and closed forms.</summary>
public sealed class CustomSamplingNodeTests
{
    private static ConditioningValue Cond(float value) =>
        [new ConditioningEntry(full(1, 77, 8, value), new Dictionary<string, object?>())];

    private static object?[] Run(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values.ToArray();

    private static T One<T>(ComfyNode node, Dictionary<string, object?> values) => (T)Run(node, values)[0]!;

    private static LatentValue KSamplerLatent(ModelPatcher model, string sampler, ConditioningValue positive, ConditioningValue negative, double cfg = 8.0) =>
        One<LatentValue>(new KSampler(), new()
        {
            ["model"] = model, ["seed"] = 42L, ["steps"] = 3L, ["cfg"] = cfg, ["sampler_name"] = sampler, ["scheduler"] = "karras",
            ["positive"] = positive, ["negative"] = negative, ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)), ["denoise"] = 1.0,
        });

    private static float[] Sigmas(ModelPatcher model, long steps = 3, double denoise = 1.0) =>
        One<float[]>(new BasicScheduler(), new() { ["model"] = model, ["scheduler"] = "karras", ["steps"] = steps, ["denoise"] = denoise });

    private static SamplerDefinition Select(string name) => One<SamplerDefinition>(new KSamplerSelect(), new() { ["sampler_name"] = name });

    private static object?[] Advanced(INoiseSource noise, Guider guider, SamplerDefinition sampler, float[] sigmas, LatentValue? latent = null) =>
        Run(new SamplerCustomAdvanced(), new()
        {
            ["noise"] = noise, ["guider"] = guider, ["sampler"] = sampler, ["sigmas"] = sigmas, ["latent_image"] = latent ?? new LatentValue(zeros(1, 4, 8, 8)),
        });

    private static Guider CfgGuider(ModelPatcher model, ConditioningValue positive, ConditioningValue negative, double cfg) =>
        One<Guider>(new CFGGuider(), new() { ["model"] = model, ["positive"] = positive, ["negative"] = negative, ["cfg"] = cfg });

    private static void Same(Tensor expected, Tensor actual) =>
        Assert.True(expected.eq(actual).all().item<bool>(), $"max difference {(expected - actual).abs().max().item<float>()}");

    private static void Close(Tensor expected, Tensor actual, double tolerance = 1e-5) =>
        Assert.True(expected.allclose(actual, rtol: tolerance, atol: tolerance), $"max difference {(expected - actual).abs().max().item<float>()}");

    [Theory]
    [InlineData("euler")]
    [InlineData("euler_ancestral")]
    [InlineData("dpmpp_2m_sde")]
    [InlineData("dpmpp_2m_cfg_pp")]
    public void SamplerCustom_gives_KSampler_latent_bit_for_bit(string sampler)
    {
        var model = new ModelPatcher(new FakeNetwork());
        LatentValue expected = KSamplerLatent(model, sampler, Cond(1f), Cond(-1f));
        var outputs = Run(new SamplerCustom(), new()
        {
            ["model"] = model, ["add_noise"] = true, ["noise_seed"] = 42L, ["cfg"] = 8.0, ["positive"] = Cond(1f), ["negative"] = Cond(-1f),
            ["sampler"] = Select(sampler), ["sigmas"] = Sigmas(model), ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)),
        });
        Same(expected.Samples, ((LatentValue)outputs[0]!).Samples);

        var advanced = Advanced(One<INoiseSource>(new RandomNoise(), new() { ["noise_seed"] = 42L }), CfgGuider(model, Cond(1f), Cond(-1f), 8.0), Select(sampler), Sigmas(model));
        Same(expected.Samples, ((LatentValue)advanced[0]!).Samples);
    }

    [Fact]
    public void Denoised_output_of_a_single_euler_step_to_zero_is_the_output()
    {
        // One Euler step from σ to 0 lands exactly on the model's denoised prediction.
        var model = new ModelPatcher(new FakeNetwork());
        var outputs = Advanced(new RandomNoiseSource(7), CfgGuider(model, Cond(1f), Cond(-1f), 3.0), Select("euler"), [2.5f, 0f]);
        Tensor output = ((LatentValue)outputs[0]!).Samples, denoised = ((LatentValue)outputs[1]!).Samples;
        Close(output, denoised);
        Assert.True(output.abs().sum().item<float>() > 0);

        // Without any step the denoised output is the output itself.
        var none = Advanced(new RandomNoiseSource(7), CfgGuider(model, Cond(1f), Cond(-1f), 3.0), Select("euler"), []);
        Same(((LatentValue)none[0]!).Samples, ((LatentValue)none[1]!).Samples);
    }

    [Fact]
    public void Guiders_reduce_to_cfg_where_their_formulas_say_so()
    {
        var model = new ModelPatcher(new FakeNetwork());
        float[] sigmas = Sigmas(model);
        Tensor Sample(Guider guider) => ((LatentValue)Advanced(new RandomNoiseSource(3), guider, Select("euler"), sigmas)[0]!).Samples;

        Tensor cfgOne = Sample(CfgGuider(model, Cond(1f), Cond(-1f), 1.0));
        Tensor basic = Sample(One<Guider>(new BasicGuider(), new() { ["model"] = model, ["conditioning"] = Cond(1f) }));
        Same(cfgOne, basic);

        Tensor cfg5 = Sample(CfgGuider(model, Cond(0.5f), Cond(-1f), 5.0));
        Guider Dual(string style, double cfgConds) => One<Guider>(new DualCFGGuider(), new()
        {
            ["model"] = model, ["cond1"] = Cond(0.5f), ["cond2"] = Cond(0.5f), ["negative"] = Cond(-1f),
            ["cfg_conds"] = cfgConds, ["cfg_cond2_negative"] = 5.0, ["style"] = style,
        });
        // cond1 = cond2: the cond1/cond2 term vanishes and cond2 is guided against the negative.
        Close(cfg5, Sample(Dual("regular", 4.0)));
        Close(cfg5, Sample(Dual("nested", 4.0)));

        // A negative equal to the empty prompt has no perpendicular part: plain CFG against the empty prompt.
        Guider perp = One<Guider>(new PerpNegGuider(), new()
        {
            ["model"] = model, ["positive"] = Cond(0.5f), ["negative"] = Cond(-1f), ["empty_conditioning"] = Cond(-1f), ["cfg"] = 5.0, ["neg_scale"] = 2.0,
        });
        Close(cfg5, Sample(perp));
    }

    [Fact]
    public void PerpNeg_removes_the_negative_component_along_the_positive_direction()
    {
        // pos − empty = (1, 0), neg − empty = (1, 1): the perpendicular part is (0, 1), so
        // empty + cfg·(pos − neg_scale·perp) = (0.5, 0.5) + 2·((1, 0) − 3·(0, 1)) = (2.5, −5.5).
        var rule = new PerpNegRule([], [], [], cfg: 2.0, negScale: 3.0);
        Tensor empty = tensor(new[] { 0.5f, 0.5f });
        Tensor result = rule.Combine(empty, [tensor(new[] { 1.5f, 0.5f }), tensor(new[] { 1.5f, 1.5f }), empty]);
        Close(tensor(new[] { 2.5f, -5.5f }), result);
    }

    [Fact]
    public void Disabled_noise_starts_from_the_latent_and_matches_add_noise_off()
    {
        var model = new ModelPatcher(new FakeNetwork());
        Tensor input = randn(1, 4, 8, 8);
        float[] sigmas = Sigmas(model, 3, 0.5);
        var custom = Run(new SamplerCustom(), new()
        {
            ["model"] = model, ["add_noise"] = false, ["noise_seed"] = 0L, ["cfg"] = 2.0, ["positive"] = Cond(1f), ["negative"] = Cond(-1f),
            ["sampler"] = Select("euler"), ["sigmas"] = sigmas, ["latent_image"] = new LatentValue(input),
        });
        var advanced = Advanced(One<INoiseSource>(new DisableNoise(), []), CfgGuider(model, Cond(1f), Cond(-1f), 2.0), Select("euler"), sigmas, new LatentValue(input));
        Same(((LatentValue)custom[0]!).Samples, ((LatentValue)advanced[0]!).Samples);
        Assert.Equal(0UL, new EmptyNoiseSource().Seed);
        Assert.Equal(0, One<INoiseSource>(new DisableNoise(), []).Generate(new LatentValue(input)).count_nonzero().item<long>());
    }

    [Fact]
    public void AddNoise_adds_seeded_noise_at_the_span_of_the_sigmas()
    {
        var model = new ModelPatcher(new FakeNetwork());
        Tensor input = full(1, 4, 4, 4, 0.5f);
        var latent = new LatentValue(input);
        LatentValue noisy = One<LatentValue>(new AddNoise(), new() { ["model"] = model, ["noise"] = new RandomNoiseSource(5), ["sigmas"] = new[] { 3f, 1f }, ["latent_image"] = latent });
        using var generator = new Generator(5, CPU);
        Tensor noise = randn([1, 4, 4, 4], generator: generator);
        // (0.5·0.18215 + 2·noise) / 0.18215
        Close(noise * 2f / 0.18215f + 0.5f, noisy.Samples, 1e-4);
        Assert.Same(latent, One<LatentValue>(new AddNoise(), new() { ["model"] = model, ["noise"] = new RandomNoiseSource(5), ["sigmas"] = Array.Empty<float>(), ["latent_image"] = latent }));
    }

    [Fact]
    public void Sampler_nodes_with_default_options_equal_the_named_samplers()
    {
        var model = new ModelPatcher(new FakeNetwork());
        float[] sigmas = Sigmas(model);
        Tensor Sample(SamplerDefinition sampler) =>
            ((LatentValue)Advanced(new RandomNoiseSource(11), CfgGuider(model, Cond(1f), Cond(-1f), 4.0), sampler, sigmas)[0]!).Samples;
        Dictionary<string, object?> EtaNoise(double eta) => new() { ["eta"] = eta, ["s_noise"] = 1.0 };

        Same(Sample(Select("euler_ancestral")), Sample(One<SamplerDefinition>(new SamplerEulerAncestral(), EtaNoise(1.0))));
        Close(Sample(Select("euler")), Sample(One<SamplerDefinition>(new SamplerEulerAncestral(), EtaNoise(0.0))));
        Same(Sample(Select("dpmpp_2s_ancestral")), Sample(One<SamplerDefinition>(new SamplerDPMPP_2S_Ancestral(), EtaNoise(1.0))));
        Same(Sample(Select("euler_ancestral_cfg_pp")), Sample(One<SamplerDefinition>(new SamplerEulerAncestralCFGPP(), EtaNoise(1.0))));
        Same(Sample(Select("lms")), Sample(One<SamplerDefinition>(new SamplerLMS(), new() { ["order"] = 4L })));
        Assert.False(Sample(Select("lms")).allclose(Sample(One<SamplerDefinition>(new SamplerLMS(), new() { ["order"] = 1L }))));
        Same(Sample(Select("dpmpp_2m_sde_heun")), Sample(One<SamplerDefinition>(new SamplerDPMPP_2M_SDE(), new() { ["solver_type"] = "heun", ["eta"] = 1.0, ["s_noise"] = 1.0, ["noise_device"] = "cpu" })));
        Same(Sample(Select("dpmpp_3m_sde")), Sample(One<SamplerDefinition>(new SamplerDPMPP_3M_SDE(), new() { ["eta"] = 1.0, ["s_noise"] = 1.0, ["noise_device"] = "gpu" })));
        Same(Sample(Select("dpmpp_sde")), Sample(One<SamplerDefinition>(new SamplerDPMPP_SDE(), new() { ["eta"] = 1.0, ["s_noise"] = 1.0, ["r"] = 0.5, ["noise_device"] = "cpu" })));
        Same(Sample(Select("seeds_2")), Sample(One<SamplerDefinition>(new SamplerSEEDS2(), new() { ["solver_type"] = "phi_1", ["eta"] = 1.0, ["s_noise"] = 1.0, ["r"] = 0.5 })));
        var adaptive = new Dictionary<string, object?>
        {
            ["order"] = 3L, ["rtol"] = 0.05, ["atol"] = 0.0078, ["h_init"] = 0.05, ["pcoeff"] = 0.0, ["icoeff"] = 1.0, ["dcoeff"] = 0.0, ["accept_safety"] = 0.81, ["eta"] = 0.0, ["s_noise"] = 1.0,
        };
        Same(Sample(Select("dpm_adaptive")), Sample(One<SamplerDefinition>(new SamplerDPMAdaptative(), adaptive)));
        adaptive["eta"] = 0.5;
        Assert.Throws<NotSupportedException>(() => Run(new SamplerDPMAdaptative(), adaptive));
    }
}
