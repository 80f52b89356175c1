using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Nodes.ControlNet;
using ComfySharp.Nodes.Sampling;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>SDXL ControlNets: the SDXL encoder shape (transformer depth per level, linear projections, ADM label embedding) from both key layouts.</summary>
public sealed class SdxlControlNetTests : IDisposable
{
    internal static readonly Lazy<UNetModel> SharedUNet = new(() => TinySdxlControls.UNet());
    private readonly string _root = TestPaths.NewTempDirectory("controlnet-sdxl");
    private readonly ModelNodeTestContext _context;

    public SdxlControlNetTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal static NodeInputs Inputs(params (InputSpec Spec, object? Value)[] values) => new(values.ToDictionary(v => v.Spec.Name, v => v.Value));

    internal static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    internal static NodeOutput Execute(ComfyNode node, NodeInputs inputs, NodeContext context) => node.ExecuteAsync(inputs, context).AsTask().Result;

    internal static ControlNetValue Load(ModelNodeTestContext context, string root, string name, Dictionary<string, Tensor> weights)
    {
        TinyControlNets.Write(Path.Combine(root, "models", "controlnet"), name, weights);
        return Assert.IsType<ControlNetValue>(Execute(new ControlNetLoader(), Inputs((ControlNetLoader.ControlNetName, name)), context).Values[0]);
    }

    internal static (ConditioningValue Positive, ConditioningValue Negative) Apply(ControlNetValue controlNet, ConditioningValue positive, ConditioningValue negative, Tensor hint, double strength = 1.0)
    {
        var output = Execute(new ControlNetApplyAdvanced(), Inputs(
            (ControlNetApplyAdvanced.Positive, positive), (ControlNetApplyAdvanced.Negative, negative), (ControlNetApplyAdvanced.ControlNet, controlNet),
            (ControlNetApplyAdvanced.Image, hint), (ControlNetApplyAdvanced.Strength, strength), (ControlNetApplyAdvanced.StartPercent, 0.0),
            (ControlNetApplyAdvanced.EndPercent, 1.0)), new TestNodeContext());
        return ((ConditioningValue)output.Values[0]!, (ConditioningValue)output.Values[1]!);
    }

    internal static Tensor Sample(IDiffusionNetwork unet, ConditioningValue positive, ConditioningValue negative, long steps = 2, long size = 8)
    {
        var values = new Dictionary<string, object?>
        {
            ["model"] = new ModelPatcher(unet), ["seed"] = 42L, ["steps"] = steps, ["cfg"] = 5.0, ["sampler_name"] = "euler",
            ["scheduler"] = "normal", ["positive"] = positive, ["negative"] = negative,
            ["latent_image"] = new LatentValue(zeros(1, 4, size, size)), ["denoise"] = 1.0,
        };
        return ((LatentValue)Execute(new KSampler(), new NodeInputs(values), new TestNodeContext()).Values[0]!).Samples;
    }

    internal static Tensor Hint(long size = 64, long seed = 3) => rand([1, size, size, 3], generator: new Generator((ulong)seed));

    private static Dictionary<string, Tensor> Prefixed(Dictionary<string, Tensor> weights) =>
        weights.ToDictionary(kv => "control_model." + kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static (Tensor X, Tensor Hint, Tensor T, Tensor Context, Tensor Y) Inputs()
    {
        var generator = new Generator(17);
        return (randn([2, 4, 8, 8], generator: generator), rand([2, 3, 64, 64], generator: generator), tensor(new float[] { 700f, 700f }),
            randn([2, 77, 32], generator: generator), randn([2, 2816], generator: generator));
    }

    [Fact]
    public void Sdxl_controlnets_load_from_the_original_and_diffusers_layouts_with_the_sdxl_encoder_shape()
    {
        var weights = TinySdxlControls.Weights(zeroOutputs: false, seed: 31);
        Assert.Contains("label_emb.0.0.weight", weights.Keys);
        Assert.Contains("input_blocks.3.1.transformer_blocks.1.attn2.to_k.weight", weights.Keys);
        var original = (ControlNetModel)Load(_context, _root, "sdxl.safetensors", Prefixed(weights)).Network;
        var diffusers = (ControlNetModel)Load(_context, _root, "sdxl-diffusers.safetensors", TinyControlNets.ToDiffusers(Prefixed(weights))).Network;
        Assert.Equal(TinySdxlControls.Config, original.Config);
        Assert.Equal([0, 2], original.Config.TransformerDepth);
        Assert.Equal(2816, original.Config.AdmInChannels);
        Assert.True(original.Config.UseLinearInTransformer);

        var (x, hint, t, ctx, y) = Inputs();
        var a = original.Forward(x, hint, t, ctx, y);
        var b = diffusers.Forward(x, hint, t, ctx, y);
        Assert.Equal(4, a.Output.Count);
        Assert.True(Same(a.Middle, b.Middle));
        Assert.All(a.Output.Zip(b.Output), pair => Assert.True(Same(pair.First, pair.Second)));
        // The ADM vector reaches the network through label_emb: another y gives another middle residual.
        var other = original.Forward(x, hint, t, ctx, y.Mul(2.0));
        Assert.False(a.Middle.allclose(other.Middle));
        Assert.Throws<ArgumentException>(() => original.Forward(x, hint, t, ctx));
    }

    [Fact]
    public void The_first_residual_of_an_sdxl_controlnet_is_the_input_convolution_plus_the_hint_encoder()
    {
        var weights = TinySdxlControls.Weights(zeroOutputs: false, seed: 32, identityFirst: true);
        var network = (ControlNetModel)Load(_context, _root, "first.safetensors", Prefixed(weights)).Network;
        var (x, hint, t, ctx, y) = Inputs();
        Tensor expected = TinySdxlControls.ConvIn(weights, x).Add(TinySdxlControls.HintEncoder(weights, hint));
        Tensor actual = network.Forward(x, hint, t, ctx, y).Output[0];
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void In_a_workflow_a_zero_output_sdxl_controlnet_leaves_the_sample_unchanged_and_a_random_one_changes_it_deterministically()
    {
        var zero = Load(_context, _root, "zero.safetensors", Prefixed(TinySdxlControls.Weights(zeroOutputs: true, seed: 33)));
        var random = Load(_context, _root, "random.safetensors", Prefixed(TinySdxlControls.Weights(zeroOutputs: false, seed: 34)));
        ConditioningValue positive = TinySdxlControls.Cond(1f, 1), negative = TinySdxlControls.Cond(-1f, 2);
        Tensor plain = Sample(SharedUNet.Value, positive, negative);
        var (zp, zn) = Apply(zero, positive, negative, Hint());
        Assert.True(Same(plain, Sample(SharedUNet.Value, zp, zn)));
        var (rp, rn) = Apply(random, positive, negative, Hint(), strength: 0.8);
        Tensor first = Sample(SharedUNet.Value, rp, rn);
        Assert.False(plain.allclose(first));
        Assert.True(Same(first, Sample(SharedUNet.Value, rp, rn)));
    }
}
