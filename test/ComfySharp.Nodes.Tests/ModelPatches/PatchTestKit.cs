using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Sampling.Custom;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Tests.ModelPatches;

/// <summary>A tiny random-weight SD1-shaped UNet, conditioning for it, and sampling helpers for the model-patch tests.</summary>
internal static class PatchTestKit
{
    private static readonly Lazy<ModelPatcher> SharedModel = new(() => new ModelPatcher(ControlNet.TinyControlNets.UNet(23)));

    /// <summary>The shared tiny model (32/64 channels, attention on level 0 and in the middle, context width 16).</summary>
    public static ModelPatcher Model => SharedModel.Value;

    /// <summary>A conditioning of 4 tokens drawn from <paramref name="seed"/>.</summary>
    public static ConditioningValue Cond(long seed)
    {
        using var generator = new Generator((ulong)seed);
        return [new ConditioningEntry(randn([1, 4, 16], generator: generator), new Dictionary<string, object?>())];
    }

    public static object?[] Run(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values.ToArray();

    public static T One<T>(ComfyNode node, Dictionary<string, object?> values) => (T)Run(node, values)[0]!;

    /// <summary>KSampler on a zero latent of <paramref name="size"/>×<paramref name="size"/>.</summary>
    public static Tensor KSample(ModelPatcher model, string sampler = "euler", double cfg = 6.0, long size = 8, long steps = 3, Tensor? noiseMask = null, double denoise = 1.0, Tensor? latent = null)
    {
        var input = new LatentValue(latent ?? zeros(1, 4, size, size)) { NoiseMask = noiseMask };
        return One<LatentValue>(new KSampler(), new()
        {
            ["model"] = model, ["seed"] = 42L, ["steps"] = steps, ["cfg"] = cfg, ["sampler_name"] = sampler, ["scheduler"] = "karras",
            ["positive"] = Cond(1), ["negative"] = Cond(2), ["latent_image"] = input, ["denoise"] = denoise,
        }).Samples;
    }

    /// <summary>One Euler step from σ to 0 with CFG: the output is the guided denoised prediction for x = noise·σ.</summary>
    public static Tensor OneStep(ModelPatcher model, double cfg, float sigma, out Tensor x)
    {
        var noise = new RandomNoiseSource(7);
        LatentValue latent = new(zeros(1, 4, 8, 8));
        x = noise.Generate(latent).Mul(sigma).Div(model.Network.LatentFormat.ScaleFactor); // in output units
        var guider = One<Guider>(new CFGGuider(), new() { ["model"] = model, ["positive"] = Cond(1), ["negative"] = Cond(2), ["cfg"] = cfg });
        var sampler = One<SamplerDefinition>(new KSamplerSelect(), new() { ["sampler_name"] = "euler" });
        var outputs = Run(new SamplerCustomAdvanced(), new()
        {
            ["noise"] = noise, ["guider"] = guider, ["sampler"] = sampler, ["sigmas"] = new[] { sigma, 0f }, ["latent_image"] = latent,
        });
        return ((LatentValue)outputs[0]!).Samples;
    }

    public static void Same(Tensor expected, Tensor actual) =>
        Assert.True(expected.eq(actual).all().item<bool>(), $"max difference {(expected - actual).abs().max().item<float>()}");

    public static void Close(Tensor expected, Tensor actual, double tolerance = 1e-5) =>
        Assert.True(expected.allclose(actual, rtol: tolerance, atol: tolerance), $"max difference {(expected - actual).abs().max().item<float>()}");

    public static void Differs(Tensor a, Tensor b, double atLeast = 1e-4) =>
        Assert.True((a - b).abs().max().item<float>() > atLeast, "the patch changed nothing");
}
