using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.Sampling;

public sealed class SamplingNodeTests
{
    private static ConditioningValue Cond(float value, long tokens = 77) =>
        [new ConditioningEntry(full(1, tokens, 8, value), new Dictionary<string, object?>())];

    private static Dictionary<string, object?> KSamplerInputs(ModelPatcher model, LatentValue latent, string sampler = "euler", double denoise = 1.0, object? seed = null) => new()
    {
        ["model"] = model, ["seed"] = seed ?? 42L, ["steps"] = 3L, ["cfg"] = 8.0, ["sampler_name"] = sampler, ["scheduler"] = "normal",
        ["positive"] = Cond(1f), ["negative"] = Cond(-1f), ["latent_image"] = latent, ["denoise"] = denoise,
    };

    private static LatentValue Run(ComfyNode node, Dictionary<string, object?> values, NodeContext context) =>
        (LatentValue)node.ExecuteAsync(new NodeInputs(values), context).AsTask().Result.Values[0]!;

    [Fact]
    public void KSampler_schema_lists_inputs_samplers_and_schedulers_in_reference_order()
    {
        var schema = new KSampler().Schema;
        Assert.Equal(["model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "denoise"],
            schema.Required.Select(i => i.Name));
        Assert.Equal(44, SamplerRegistry.Names.Count);
        Assert.Equal("euler", SamplerRegistry.Names[0]);
        Assert.Equal("uni_pc_bh2", SamplerRegistry.Names[^1]);
        Assert.Equal(["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"], Schedulers.Names);
        Assert.Equal(ulong.MaxValue, (ulong)KSampler.Seed.Max!.Value);
        var advanced = new KSamplerAdvanced().Schema;
        Assert.Equal(["model", "add_noise", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative", "latent_image", "start_at_step", "end_at_step", "return_with_leftover_noise"],
            advanced.Required.Select(i => i.Name));
    }

    [Fact]
    public void Sampling_nodes_are_registered()
    {
        var registry = new NodeRegistry();
        SamplingNodes.Register(registry);
        Assert.True(registry.Contains("KSampler"));
        Assert.True(registry.Contains("KSamplerAdvanced"));
        Assert.True(registry.Contains("VAEEncodeForInpaint"));
    }

    [Fact]
    public void KSampler_reports_each_step_batches_cond_and_uncond_and_is_deterministic()
    {
        var network = new FakeNetwork();
        var model = new ModelPatcher(network);
        var context = new TestNodeContext();
        LatentValue first = Run(new KSampler(), KSamplerInputs(model, new LatentValue(zeros(1, 4, 8, 8))), context);
        LatentValue second = Run(new KSampler(), KSamplerInputs(model, new LatentValue(zeros(1, 4, 8, 8))), new TestNodeContext());
        LatentValue otherSeed = Run(new KSampler(), KSamplerInputs(model, new LatentValue(zeros(1, 4, 8, 8)), seed: ulong.MaxValue), new TestNodeContext());

        Assert.Equal([1, 4, 8, 8], first.Samples.shape);
        Assert.Equal([(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)], context.Progress.Select(p => (p.Value, p.Max)));
        Assert.All(context.Progress, p => Assert.Null(p.Preview));
        Assert.All(network.BatchSizes, b => Assert.Equal(2, b));
        Assert.True(first.Samples.eq(second.Samples).all().item<bool>());
        Assert.False(first.Samples.allclose(otherSeed.Samples));
    }

    [Fact]
    public void Previews_are_jpeg_when_a_preview_method_is_set()
    {
        var context = new TestNodeContext("latent2rgb");
        Run(new KSampler(), KSamplerInputs(new ModelPatcher(new FakeNetwork()), new LatentValue(zeros(1, 4, 8, 4))), context);
        Assert.Equal(3, context.Progress.Count);
        foreach (var (_, _, preview) in context.Progress)
        {
            Assert.NotNull(preview);
            Assert.Equal(PreviewFormat.Jpeg, preview!.Format);
            Assert.Equal(0xFF, preview.Data.Span[0]);
            Assert.Equal(0xD8, preview.Data.Span[1]);
            using var bitmap = SkiaSharp.SKBitmap.Decode(preview.Data.ToArray());
            Assert.Equal(256, bitmap.Width);
            Assert.Equal(512, bitmap.Height);
        }
    }

    [Fact]
    public void Denoise_zero_returns_the_input_and_cfg_one_skips_the_uncond_pass()
    {
        var network = new FakeNetwork();
        Tensor input = randn(1, 4, 8, 8);
        LatentValue unchanged = Run(new KSampler(), KSamplerInputs(new ModelPatcher(network), new LatentValue(input), denoise: 0.0), new TestNodeContext());
        Assert.True(unchanged.Samples.eq(input).all().item<bool>());
        Assert.Equal(0, network.Calls);

        var values = KSamplerInputs(new ModelPatcher(network), new LatentValue(zeros(1, 4, 8, 8)));
        values["cfg"] = 1.0;
        Run(new KSampler(), values, new TestNodeContext());
        Assert.All(network.BatchSizes, b => Assert.Equal(1, b));
    }

    [Fact]
    public void Noise_mask_keeps_the_unmasked_area_of_the_input()
    {
        Tensor input = randn(1, 4, 8, 8);
        Tensor mask = zeros(1, 1, 8, 8);
        mask[.., .., ..4, ..] = 1;
        var latent = new LatentValue(input) { NoiseMask = mask };
        LatentValue result = Run(new KSampler(), KSamplerInputs(new ModelPatcher(new FakeNetwork()), latent, denoise: 0.5), new TestNodeContext());
        Assert.True(result.Samples[.., .., 4.., ..].allclose(input[.., .., 4.., ..], rtol: 1e-5, atol: 1e-5));
        Assert.False(result.Samples[.., .., ..4, ..].allclose(input[.., .., ..4, ..], rtol: 1e-3, atol: 1e-3));
        Assert.Same(mask, result.NoiseMask);
    }

    [Fact]
    public void KSamplerAdvanced_honours_step_range_and_add_noise()
    {
        var model = new ModelPatcher(new FakeNetwork());
        Tensor input = randn(1, 4, 8, 8);
        Dictionary<string, object?> Inputs(string addNoise, long start, long end, string leftover) => new()
        {
            ["model"] = model, ["add_noise"] = addNoise, ["noise_seed"] = 7L, ["steps"] = 6L, ["cfg"] = 5.0,
            ["sampler_name"] = "euler", ["scheduler"] = "karras", ["positive"] = Cond(1f), ["negative"] = Cond(0f),
            ["latent_image"] = new LatentValue(input), ["start_at_step"] = start, ["end_at_step"] = end, ["return_with_leftover_noise"] = leftover,
        };
        var context = new TestNodeContext();
        LatentValue skipped = Run(new KSamplerAdvanced(), Inputs("enable", 6, 10000, "disable"), context);
        Assert.True(skipped.Samples.eq(input).all().item<bool>());
        Assert.Empty(context.Progress);

        var partial = new TestNodeContext();
        LatentValue withNoise = Run(new KSamplerAdvanced(), Inputs("enable", 2, 4, "enable"), partial);
        Assert.Equal([(1.0, 2.0), (2.0, 2.0)], partial.Progress.Select(p => (p.Value, p.Max)));
        LatentValue withoutNoise = Run(new KSamplerAdvanced(), Inputs("disable", 2, 4, "enable"), new TestNodeContext());
        LatentValue finished = Run(new KSamplerAdvanced(), Inputs("disable", 2, 4, "disable"), new TestNodeContext());
        Assert.False(withNoise.Samples.allclose(withoutNoise.Samples));
        Assert.False(withoutNoise.Samples.allclose(finished.Samples));
    }

    [Fact]
    public void Every_sampler_runs_through_the_node()
    {
        foreach (string name in SamplerRegistry.Names)
        {
            var context = new TestNodeContext();
            LatentValue result;
            try
            {
                result = Run(new KSampler(), KSamplerInputs(new ModelPatcher(new FakeNetwork()), new LatentValue(zeros(1, 4, 8, 8)), sampler: name), context);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"sampler {name} failed", e);
            }
            Assert.False(result.Samples.isnan().any().item<bool>(), name);
            Assert.True(context.Progress.Count >= 1, name);
        }
    }

    [Fact]
    public void VAEEncodeForInpaint_greys_masked_pixels_and_grows_the_mask()
    {
        Tensor pixels = ones(1, 20, 18, 3) * 0.9f;
        Tensor mask = zeros(20, 18);
        mask[10, 9] = 1;
        var (prepared, noiseMask) = VAEEncodeForInpaint.Prepare(pixels, mask, 6, 8);
        Assert.Equal([1, 16, 16, 3], prepared.shape);
        Assert.Equal([1, 1, 16, 16], noiseMask.shape);
        // Crop offsets (2, 1): the masked pixel lands at (8, 8) and is grey; its neighbours are grown into the mask.
        Assert.Equal(0.5f, prepared[0, 8, 8, 0].item<float>(), 5);
        Assert.Equal(0.9f, prepared[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(1f, noiseMask[0, 0, 6, 6].item<float>());
        Assert.Equal(0f, noiseMask[0, 0, 0, 0].item<float>());
    }
}
