using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Nodes.ControlNet;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.ControlNet;

public sealed class ControlNetNodeTests : IDisposable
{
    private static readonly Lazy<UNetModel> SharedUNet = new(() => TinyControlNets.UNet());
    private static readonly Lazy<ControlNetValue> EverySamplerControlNet = new(() =>
    {
        string path = TinyControlNets.Write(TestPaths.NewTempDirectory("controlnet-samplers"), "every.safetensors", TinyControlNets.Weights(zeroOutputs: false, seed: 8));
        var network = ControlNetLoading.LoadFile(path, new ComfySharp.Torch.Models.ComputeOptions { Device = ComfySharp.Torch.Models.DevicePreference.Cpu });
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        return new ControlNetValue(network, []);
    });
    private readonly string _root = TestPaths.NewTempDirectory("controlnet");
    private readonly ModelNodeTestContext _context;

    public ControlNetNodeTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder => Path.Combine(_root, "models", "controlnet");

    private static NodeInputs Inputs(params (InputSpec Spec, object? Value)[] values) => new(values.ToDictionary(v => v.Spec.Name, v => v.Value));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static NodeOutput Execute(ComfyNode node, NodeInputs inputs, NodeContext context) => node.ExecuteAsync(inputs, context).AsTask().Result;

    private ControlNetValue Load(string name, Dictionary<string, Tensor> weights)
    {
        TinyControlNets.Write(Folder, name, weights);
        var output = Execute(new ControlNetLoader(), Inputs((ControlNetLoader.ControlNetName, name)), _context);
        return Assert.IsType<ControlNetValue>(output.Values[0]);
    }

    private static ConditioningValue Cond(float value, long seed) =>
        [new ConditioningEntry(randn([1, 77, 16], generator: new Generator((ulong)seed)).add_(full(1, 1, 16, value)), new Dictionary<string, object?>())];

    private static Tensor Hint(long batch = 1, long height = 64, long width = 64) =>
        rand([batch, height, width, 3], generator: new Generator(3));

    private static (ConditioningValue Positive, ConditioningValue Negative) Apply(ControlNetValue controlNet, ConditioningValue positive, ConditioningValue negative, Tensor hint, double strength = 1.0, double start = 0.0, double end = 1.0)
    {
        var output = Execute(new ControlNetApplyAdvanced(), Inputs(
            (ControlNetApplyAdvanced.Positive, positive), (ControlNetApplyAdvanced.Negative, negative), (ControlNetApplyAdvanced.ControlNet, controlNet),
            (ControlNetApplyAdvanced.Image, hint), (ControlNetApplyAdvanced.Strength, strength), (ControlNetApplyAdvanced.StartPercent, start),
            (ControlNetApplyAdvanced.EndPercent, end)), new TestNodeContext());
        return ((ConditioningValue)output.Values[0]!, (ConditioningValue)output.Values[1]!);
    }

    private static Tensor Sample(ConditioningValue positive, ConditioningValue negative, string sampler = "euler", long batch = 1, long steps = 3)
    {
        var values = new Dictionary<string, object?>
        {
            ["model"] = new ModelPatcher(SharedUNet.Value), ["seed"] = 42L, ["steps"] = steps, ["cfg"] = 5.0, ["sampler_name"] = sampler,
            ["scheduler"] = "normal", ["positive"] = positive, ["negative"] = negative,
            ["latent_image"] = new LatentValue(zeros(batch, 4, 8, 8)), ["denoise"] = 1.0,
        };
        return ((LatentValue)Execute(new KSampler(), new NodeInputs(values), new TestNodeContext()).Values[0]!).Samples;
    }

    [Fact]
    public void A_controlnet_with_zero_output_convolutions_leaves_the_sample_bit_identical()
    {
        var controlNet = Load("zero.safetensors", TinyControlNets.Weights(zeroOutputs: true));
        ConditioningValue positive = Cond(1f, 1), negative = Cond(-1f, 2);
        Tensor plain = Sample(positive, negative);
        var (p, n) = Apply(controlNet, positive, negative, Hint());
        Tensor controlled = Sample(p, n);
        Assert.True(Same(plain, controlled));
    }

    [Fact]
    public void A_nonzero_controlnet_changes_the_sample_deterministically()
    {
        var controlNet = Load("control.safetensors", TinyControlNets.Weights(zeroOutputs: false));
        ConditioningValue positive = Cond(1f, 1), negative = Cond(-1f, 2);
        Tensor plain = Sample(positive, negative);
        var (p, n) = Apply(controlNet, positive, negative, Hint());
        Tensor first = Sample(p, n);
        Tensor second = Sample(p, n);
        Assert.False(plain.allclose(first));
        Assert.True(Same(first, second));
        Assert.Same(p[0].Get(ControlHook.ControlKey), n[0].Get(ControlHook.ControlKey));
        Assert.Equal(false, p[0].Get(ControlHook.ApplyToUncondKey));
    }

    [Fact]
    public void Diffusers_layout_loads_the_same_network()
    {
        var weights = TinyControlNets.Weights(zeroOutputs: false);
        var original = Load("original.safetensors", weights);
        var diffusers = Load("diffusers.safetensors", TinyControlNets.ToDiffusers(weights));
        var unprefixed = Load("unprefixed.safetensors", weights.ToDictionary(kv => kv.Key["control_model.".Length..], kv => kv.Value));
        Tensor x = randn([1, 4, 8, 8], generator: new Generator(9)), hint = Hint().permute(0, 3, 1, 2), t = tensor(new float[] { 500f }), ctx = randn([1, 77, 16], generator: new Generator(4));
        var a = ((ControlNetModel)original.Network).Forward(x, hint, t, ctx);
        foreach (var other in new[] { diffusers, unprefixed })
        {
            var b = ((ControlNetModel)other.Network).Forward(x, hint, t, ctx);
            Assert.True(Same(a.Middle, b.Middle));
            Assert.All(a.Output.Zip(b.Output), pair => Assert.True(Same(pair.First, pair.Second)));
        }
        Assert.Equal(4, a.Output.Count);
    }

    [Fact]
    public void Strength_scales_the_residuals_and_chained_controls_add()
    {
        var controlNet = Load("chain.safetensors", TinyControlNets.Weights(zeroOutputs: false));
        var sampling = ModelSamplingDiscrete.Epsilon;
        Tensor x = randn([2, 4, 8, 8], generator: new Generator(9)), sigma = tensor(new float[] { 3f, 3f }), ctx = randn([2, 77, 16], generator: new Generator(4));
        Tensor hint = Hint().permute(0, 3, 1, 2);
        var one = new AppliedControlNet(controlNet.Network, hint, 1.0, 0, 1, null).GetControl(x, sigma, ctx, 2, sampling)!;
        var two = new AppliedControlNet(controlNet.Network, hint, 2.0, 0, 1, null).GetControl(x, sigma, ctx, 2, sampling)!;
        var chain = new AppliedControlNet(controlNet.Network, hint, 1.0, 0, 1, new AppliedControlNet(controlNet.Network, hint, 1.0, 0, 1, null)).GetControl(x, sigma, ctx, 2, sampling)!;
        Assert.True(Same(two.Middle!, one.Middle! * tensor(2f)));
        Assert.True(Same(chain.Middle!, one.Middle! + one.Middle!));
        Assert.All(Enumerable.Range(0, one.Output.Count), i => Assert.True(Same(chain.Output[i]!, one.Output[i]! + one.Output[i]!)));
    }

    [Fact]
    public void Outside_its_percent_range_a_control_gives_only_the_previous_controls()
    {
        var controlNet = Load("range.safetensors", TinyControlNets.Weights(zeroOutputs: false));
        var sampling = ModelSamplingDiscrete.Epsilon;
        Tensor x = randn([1, 4, 8, 8]), ctx = randn([1, 77, 16]), hint = Hint().permute(0, 3, 1, 2);
        var late = new AppliedControlNet(controlNet.Network, hint, 1.0, 0.5, 1.0, null);
        double half = sampling.PercentToSigma(0.5);
        Assert.Null(late.GetControl(x, tensor(new[] { (float)half * 2 }), ctx, 1, sampling));
        Assert.NotNull(late.GetControl(x, tensor(new[] { (float)half / 2 }), ctx, 1, sampling));
    }

    [Fact]
    public void Hints_of_another_size_and_batch_are_resized_and_batches_above_one_sample()
    {
        var controlNet = Load("batch.safetensors", TinyControlNets.Weights(zeroOutputs: false));
        var (p, n) = Apply(controlNet, Cond(1f, 1), Cond(-1f, 2), Hint(batch: 3, height: 37, width: 50));
        Tensor result = Sample(p, n, batch: 2);
        Assert.Equal([2L, 4, 8, 8], result.shape);
        Assert.False(result.isnan().any().item<bool>());
    }

    [Fact]
    public void Broadcast_cuts_or_cycles_hints_to_each_entrys_share_of_the_batch()
    {
        Tensor hint = arange(3, ScalarType.Float32).view(3, 1, 1, 1);
        Assert.Equal([0f, 1f, 0f, 1f], AppliedControlNet.BroadcastImageTo(hint, 4, 2).flatten().data<float>().ToArray());
        Assert.Equal([0f, 1f, 2f, 0f, 1f, 0f, 1f, 2f, 0f, 1f], AppliedControlNet.BroadcastImageTo(hint, 10, 2).flatten().data<float>().ToArray());
        Assert.Equal(1, AppliedControlNet.BroadcastImageTo(hint[..1], 4, 2).shape[0]);
    }

    [Fact]
    public void Chained_controlnets_link_to_the_previous_control_and_sample()
    {
        var a = Load("a.safetensors", TinyControlNets.Weights(zeroOutputs: false, seed: 5));
        var b = Load("b.safetensors", TinyControlNets.Weights(zeroOutputs: false, seed: 6));
        var (p1, n1) = Apply(a, Cond(1f, 1), Cond(-1f, 2), Hint(), strength: 0.7);
        var (p2, n2) = Apply(b, p1, n1, Hint(), strength: 0.5, start: 0.2, end: 0.9);
        Assert.Same(p1[0].Get(ControlHook.ControlKey), ((AppliedControlNet)p2[0].Get(ControlHook.ControlKey)!).Previous);
        Assert.Same(p2[0].Get(ControlHook.ControlKey), n2[0].Get(ControlHook.ControlKey));
        Assert.False(Sample(p2, n2, steps: 2).isnan().any().item<bool>());
    }

    // dpm_adaptive chooses its own (many) steps; its evaluations go through the same guider as every other sampler's.
    public static TheoryData<string> SamplerNames => [.. SamplerRegistry.Names.Where(n => n != "dpm_adaptive")];

    [Theory]
    [MemberData(nameof(SamplerNames))]
    public void A_controlnet_works_with_every_sampler(string sampler)
    {
        var (p, n) = Apply(EverySamplerControlNet.Value, Cond(1f, 1), Cond(-1f, 2), Hint(), strength: 0.7);
        Tensor result = Sample(p, n, sampler, steps: 2);
        Assert.False(result.isnan().any().item<bool>(), sampler);
    }

    [Fact]
    public void The_old_apply_node_controls_only_its_conditioning()
    {
        var controlNet = Load("old.safetensors", TinyControlNets.Weights(zeroOutputs: false));
        ConditioningValue positive = Cond(1f, 1);
        var output = Execute(new ControlNetApply(), Inputs((ControlNetApply.ConditioningInput, positive), (ControlNetApply.ControlNet, controlNet),
            (ControlNetApply.Image, Hint()), (ControlNetApply.Strength, 0.8)), new TestNodeContext());
        var controlled = (ConditioningValue)output.Values[0]!;
        Assert.Equal(true, controlled[0].Get(ControlHook.ApplyToUncondKey));
        Assert.False(Sample(positive, Cond(-1f, 2)).allclose(Sample(controlled, Cond(-1f, 2))));
        var zero = Execute(new ControlNetApply(), Inputs((ControlNetApply.ConditioningInput, positive), (ControlNetApply.ControlNet, controlNet),
            (ControlNetApply.Image, Hint()), (ControlNetApply.Strength, 0.0)), new TestNodeContext());
        Assert.Same(positive, zero.Values[0]);
    }

    [Fact]
    public void Union_type_is_recorded_and_plain_controlnets_pass_through()
    {
        var controlNet = Load("union.safetensors", TinyControlNets.Weights(zeroOutputs: true));
        var output = Execute(new SetUnionControlNetType(), Inputs((SetUnionControlNetType.ControlNet, controlNet), (SetUnionControlNetType.Type, "depth")), new TestNodeContext());
        var typed = Assert.IsType<ControlNetValue>(output.Values[0]);
        Assert.Equal([1], typed.ControlType);
        Assert.Same(controlNet.Network, typed.Network);
    }

    [Fact]
    public void A_checkpoint_given_to_the_controlnet_loader_is_named_in_the_error()
    {
        TinyControlNets.Write(Folder, "sd15.safetensors", new Dictionary<string, Tensor> { ["model.diffusion_model.input_blocks.0.0.weight"] = zeros(4, 4, 3, 3) });
        var error = Assert.ThrowsAny<Exception>(() => Execute(new ControlNetLoader(), Inputs((ControlNetLoader.ControlNetName, "sd15.safetensors")), _context));
        var inner = Assert.IsType<UnsupportedControlNetException>(error is AggregateException agg ? agg.InnerException : error);
        Assert.Contains("Stable Diffusion checkpoint", inner.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hint_with_the_wrong_channel_count_is_a_clear_error()
    {
        var controlNet = Load("channels.safetensors", TinyControlNets.Weights(zeroOutputs: true));
        var error = Assert.ThrowsAny<Exception>(() => Apply(controlNet, Cond(1f, 1), Cond(-1f, 2), rand(1, 64, 64, 4)));
        Assert.Contains("3 channels", (error is AggregateException agg ? agg.InnerException! : error).Message, StringComparison.Ordinal);
    }
}
