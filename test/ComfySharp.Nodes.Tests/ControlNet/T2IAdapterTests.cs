using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using static ComfySharp.Nodes.Tests.ControlNet.SdxlControlNetTests;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>T2I-Adapters (full, light, SDXL) loaded through ControlNetLoader; their features added to the UNet's input blocks.</summary>
public sealed class T2IAdapterTests : IDisposable
{
    /// <summary>An SD1-shaped UNet with SD1's four levels and two blocks per level (12 input blocks), small widths.</summary>
    private static readonly UNetConfig Sd1Config = new()
    {
        ModelChannels = 32, ChannelMult = [1, 2, 4, 4], NumResBlocks = 2, TransformerDepth = [1, 0, 0, 0], TransformerDepthMiddle = 1, NumHeads = 4, ContextDim = 16,
    };

    /// <summary>An SDXL-shaped UNet: three levels, two blocks per level (9 input blocks), 64-channel heads, ADM 2816.</summary>
    private static readonly UNetConfig XlConfig = new()
    {
        ModelChannels = 32, ChannelMult = [1, 2, 4], NumResBlocks = 2, TransformerDepth = [0, 0, 1], TransformerDepthMiddle = 1, NumHeads = -1,
        NumHeadChannels = 64, ContextDim = 32, UseLinearInTransformer = true, AdmInChannels = 2816,
    };

    private static readonly Lazy<UNetModel> Sd1UNet = new(() => Randomised(new UNetModel(Sd1Config, ModelPrediction.Epsilon, LatentFormats.Sd15), 61));
    private static readonly Lazy<UNetModel> XlUNet = new(() => Randomised(new UNetModel(XlConfig, ModelPrediction.Epsilon, LatentFormats.Sdxl), 62));

    private readonly string _root = TestPaths.NewTempDirectory("t2i-adapter");
    private readonly ModelNodeTestContext _context;

    public T2IAdapterTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static T Randomised<T>(T module, long seed) where T : nn.Module
    {
        TinyControlNets.Randomise(module, seed, _ => false);
        return module;
    }

    private static Dictionary<string, Tensor> Weights(T2IAdapterModel shape, long seed, bool zero = false)
    {
        TinyControlNets.Randomise(shape, seed, _ => zero);
        var weights = shape.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
        shape.Dispose();
        return weights;
    }

    private static Dictionary<string, Tensor> Full(long seed, int hintChannels = 3, bool xl = false, bool zero = false) =>
        Weights(new T2IAdapterModel(light: false, [32, 64, 128, 128], hintChannels * (xl ? 256 : 64), 2, kernelSize: 1, xl: xl), seed, zero);

    private static Tensor Conv(Dictionary<string, Tensor> w, string name, Tensor x, long padding = 0) =>
        F.conv2d(x, w[name + ".weight"], w[name + ".bias"], padding: [padding, padding]);

    private static ConditioningValue Cond(float value, long seed) =>
        [new ConditioningEntry(randn([1, 77, 16], generator: new Generator((ulong)seed)).Add(value), new Dictionary<string, object?>())];

    [Fact]
    public void A_full_adapter_loads_in_both_layouts_and_its_first_level_matches_a_direct_computation()
    {
        var weights = Full(seed: 71);
        Assert.Contains("conv_in.weight", weights.Keys);
        Assert.Contains("body.2.in_conv.weight", weights.Keys); // level 1's first block changes 32 → 64 channels
        Assert.DoesNotContain("body.6.in_conv.weight", weights.Keys); // level 3 keeps 128
        var adapter = Assert.IsType<T2IAdapterModel>(Load(_context, _root, "t2iadapter_canny_sd15v2.safetensors", weights).Network);
        Assert.False(adapter.Xl);
        Assert.Equal(3, adapter.HintChannels);
        // diffusers: adapter.body.I.resnets.J. → body.(2I+J)., adapter.body.I.in_conv → body.(2I).in_conv
        var diffusers = weights.ToDictionary(kv => Diffusers(kv.Key), kv => kv.Value, StringComparer.Ordinal);
        Assert.Contains("adapter.body.1.resnets.0.block1.weight", diffusers.Keys);
        var fromDiffusers = Assert.IsType<T2IAdapterModel>(Load(_context, _root, "diffusers.safetensors", diffusers).Network);

        Tensor hint = rand([1, 3, 64, 64], generator: new Generator(2));
        var (input, middle) = adapter.Forward(hint);
        Assert.Null(middle);
        Assert.Equal([2, 5, 8, 11], Enumerable.Range(0, input.Count).Where(i => input[i] is not null));
        Assert.Equal([1L, 32, 8, 8], input[2]!.shape);
        Assert.Equal([1L, 128, 1, 1], input[11]!.shape);
        Tensor x = Conv(weights, "conv_in", F.pixel_unshuffle(hint, 8), 1);
        for (int block = 0; block < 2; block++)
        {
            x = Conv(weights, $"body.{block}.block2", F.relu(Conv(weights, $"body.{block}.block1", x, 1))).Add(x);
        }
        Assert.True(input[2]!.allclose(x, rtol: 1e-4, atol: 1e-5));
        var (again, _) = fromDiffusers.Forward(hint);
        Assert.All(input.Zip(again), pair => Assert.True(pair.First is null ? pair.Second is null : Same(pair.First, pair.Second!)));
    }

    private static string Diffusers(string key)
    {
        string[] parts = key.Split('.');
        if (parts[0] != "body")
        {
            return "adapter." + key;
        }
        int index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        string rest = string.Join('.', parts[2..]);
        return rest.StartsWith("in_conv", StringComparison.Ordinal) ? $"adapter.body.{index / 2}.{rest}" : $"adapter.body.{index / 2}.resnets.{index % 2}.{rest}";
    }

    [Fact]
    public void A_light_adapter_runs_its_extractors_and_a_one_channel_adapter_averages_the_hint()
    {
        var light = Weights(new T2IAdapterModel(light: true, [32, 64, 128, 128], 3 * 64, 2), seed: 72);
        Assert.Contains("body.0.body.1.block2.weight", light.Keys);
        var adapter = Assert.IsType<T2IAdapterModel>(Load(_context, _root, "t2iadapter_light.safetensors", light).Network);
        Assert.True(adapter.Light);
        Tensor hint = rand([1, 3, 64, 64], generator: new Generator(3));
        var (input, _) = adapter.Forward(hint);
        Tensor x = Conv(light, "body.0.in_conv", F.pixel_unshuffle(hint, 8));
        for (int block = 0; block < 2; block++)
        {
            x = Conv(light, $"body.0.body.{block}.block2", F.relu(Conv(light, $"body.0.body.{block}.block1", x, 1)), 1).Add(x);
        }
        Assert.True(input[2]!.allclose(Conv(light, "body.0.out_conv", x), rtol: 1e-4, atol: 1e-5));
        Assert.Equal([1L, 128, 1, 1], input[11]!.shape);

        // A one-channel adapter (64 = 1 · 8² inputs) sees the channel mean: an RGB hint and its grey copy control alike.
        var grey = Load(_context, _root, "t2iadapter_sketch.safetensors", Full(seed: 73, hintChannels: 1));
        Assert.Equal(1, grey.Network.HintChannels);
        Tensor rgb = rand([1, 64, 64, 3], generator: new Generator(4));
        Tensor mean = rgb.mean([3L], keepdim: true).expand(1, 64, 64, 3).contiguous();
        var (gp, _) = Apply(grey, Cond(1f, 1), Cond(-1f, 2), rgb);
        var (mp, _) = Apply(grey, Cond(1f, 1), Cond(-1f, 2), mean);
        var sampling = Diffusion.Sampling.ModelSamplingDiscrete.Epsilon;
        Tensor latent = randn([1, 4, 8, 8]), sigma = tensor(new[] { 2f }), ctx = randn([1, 77, 16]);
        var a = ((IControlProvider)gp[0].Get(ControlHook.ControlKey)!).GetControl(latent, sigma, ctx, 1, sampling)!;
        var b = ((IControlProvider)mp[0].Get(ControlHook.ControlKey)!).GetControl(latent, sigma, ctx, 1, sampling)!;
        Assert.All(a.Input.Zip(b.Input), pair => Assert.True(pair.First is null ? pair.Second is null : pair.First.allclose(pair.Second!, rtol: 1e-5, atol: 1e-6)));
    }

    [Fact]
    public void In_a_workflow_an_all_zero_adapter_leaves_the_sample_unchanged_and_a_random_one_changes_it_deterministically()
    {
        var zero = Load(_context, _root, "zero.safetensors", Full(seed: 74, zero: true));
        var random = Load(_context, _root, "random.safetensors", Full(seed: 75));
        ConditioningValue positive = Cond(1f, 1), negative = Cond(-1f, 2);
        Tensor plain = Sample(Sd1UNet.Value, positive, negative);
        var (zp, zn) = Apply(zero, positive, negative, Hint());
        Assert.True(Same(plain, Sample(Sd1UNet.Value, zp, zn)));
        var (rp, rn) = Apply(random, positive, negative, Hint(size: 50), strength: 0.5);
        Tensor first = Sample(Sd1UNet.Value, rp, rn);
        Assert.False(plain.allclose(first));
        Assert.True(Same(first, Sample(Sd1UNet.Value, rp, rn)));
    }

    [Fact]
    public void An_sdxl_adapter_feeds_input_blocks_3_5_8_and_the_middle_block()
    {
        var weights = Full(seed: 76, xl: true);
        var controlNet = Load(_context, _root, "t2i-adapter-canny-sdxl.safetensors", weights);
        var adapter = Assert.IsType<T2IAdapterModel>(controlNet.Network);
        Assert.True(adapter.Xl);
        Assert.Equal(16, adapter.UnshuffleAmount);
        var (input, middle) = adapter.Forward(rand([1, 3, 64, 64], generator: new Generator(5)));
        Assert.Equal([3, 5, 8], Enumerable.Range(0, input.Count).Where(i => input[i] is not null));
        Assert.Equal([1L, 32, 4, 4], input[3]!.shape);
        Assert.Equal([1L, 64, 4, 4], input[5]!.shape);
        Assert.Equal([1L, 128, 2, 2], input[8]!.shape);
        Assert.Equal([1L, 128, 2, 2], middle!.shape);
        ConditioningValue positive = TinySdxlControls.Cond(1f, 1), negative = TinySdxlControls.Cond(-1f, 2);
        Tensor plain = Sample(XlUNet.Value, positive, negative);
        var (p, n) = Apply(controlNet, positive, negative, Hint());
        Tensor controlled = Sample(XlUNet.Value, p, n);
        Assert.False(plain.allclose(controlled));
        Assert.False(controlled.isnan().any().item<bool>());
    }
}
