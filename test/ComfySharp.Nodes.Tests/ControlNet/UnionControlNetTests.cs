using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Nodes.ControlNet;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using static ComfySharp.Nodes.Tests.ControlNet.SdxlControlNetTests;

namespace ComfySharp.Nodes.Tests.ControlNet;

/// <summary>Union ControlNets (ControlNet++ / ProMax, diffusers layout): task embedding, condition transformer, control-type embedding.</summary>
public sealed class UnionControlNetTests : IDisposable
{
    private static readonly UnionConfig Union = new(8, 64, 256);
    private readonly string _root = TestPaths.NewTempDirectory("controlnet-union");
    private readonly ModelNodeTestContext _context;

    public UnionControlNetTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static bool IsUnionKey(string key) =>
        key.StartsWith("task_embedding", StringComparison.Ordinal) || key.StartsWith("transformer_layes.", StringComparison.Ordinal)
        || key.StartsWith("spatial_ch_projs.", StringComparison.Ordinal) || key.StartsWith("control_add_embedding.", StringComparison.Ordinal);

    /// <summary>The published union layout: diffusers names for the ControlNet, the union parts as trained (packed <c>in_proj_weight</c>).</summary>
    private static Dictionary<string, Tensor> UnionFile(Dictionary<string, Tensor> weights)
    {
        var file = TinyControlNets.ToDiffusers(weights.Where(kv => !IsUnionKey(kv.Key)).ToDictionary(kv => "control_model." + kv.Key, kv => kv.Value, StringComparer.Ordinal));
        foreach (var (key, value) in weights.Where(kv => IsUnionKey(kv.Key)))
        {
            file[key.Replace(".attn.in_proj.", ".attn.in_proj_", StringComparison.Ordinal)] = value;
        }
        Assert.Contains("transformer_layes.0.attn.in_proj_weight", file.Keys);
        Assert.Contains("control_add_embedding.linear_1.weight", file.Keys);
        return file;
    }

    /// <summary>The condition transformer for one token, computed directly: with one token attention returns its value row.</summary>
    private static Tensor Alpha(Dictionary<string, Tensor> w, Tensor cond, int type)
    {
        const string b = "transformer_layes.0.";
        int width = Union.Width;
        Tensor token = cond.mean([2L, 3L]).Add(w["task_embedding"][type]);
        Tensor ln1 = F.layer_norm(token, [width], w[b + "ln_1.weight"], w[b + "ln_1.bias"], 1e-5);
        Tensor value = F.linear(ln1, w[b + "attn.in_proj.weight"][(2 * width)..], w[b + "attn.in_proj.bias"][(2 * width)..]);
        Tensor x1 = token.Add(F.linear(value, w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"]));
        Tensor h = F.linear(F.layer_norm(x1, [width], w[b + "ln_2.weight"], w[b + "ln_2.bias"], 1e-5), w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"]);
        h = h.mul(sigmoid(h.Mul(1.702)));
        Tensor x2 = x1.Add(F.linear(h, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"]));
        return F.linear(x2, w["spatial_ch_projs.weight"], w["spatial_ch_projs.bias"]).unsqueeze(-1).unsqueeze(-1);
    }

    [Fact]
    public void A_union_controlnet_loads_from_the_diffusers_layout_and_fuses_the_hint_with_the_task_embedding()
    {
        var weights = TinySdxlControls.Weights(zeroOutputs: false, seed: 41, union: Union, identityFirst: true);
        var network = (ControlNetModel)Load(_context, _root, "promax.safetensors", UnionFile(weights)).Network;
        Assert.Equal(Union, network.Union);
        var generator = new Generator(5);
        Tensor x = randn([1, 4, 8, 8], generator: generator), hint = rand([1, 3, 64, 64], generator: generator);
        Tensor t = tensor(new float[] { 400f }), ctx = randn([1, 77, 32], generator: generator), y = randn([1, 2816], generator: generator);
        Tensor cond = TinySdxlControls.HintEncoder(weights, hint), convIn = TinySdxlControls.ConvIn(weights, x);

        Tensor typed = network.Forward(x, hint, t, ctx, y, [3]).Output[0];
        Tensor expected = convIn.Add(cond).Add(Alpha(weights, cond, 3));
        Assert.True(typed.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(typed - expected).abs().max().item<float>()}");
        // "auto" (no type): the plain hint encoder, no transformer.
        Tensor auto = network.Forward(x, hint, t, ctx, y, []).Output[0];
        Assert.True(auto.allclose(convIn.Add(cond), rtol: 1e-4, atol: 1e-5));
        Assert.False(auto.allclose(typed));
        Assert.Throws<ArgumentException>(() => network.Forward(x, hint, t, ctx, y, [8]));
    }

    [Fact]
    public void The_control_type_embedding_joins_the_timestep_embedding()
    {
        var weights = TinySdxlControls.Weights(zeroOutputs: false, seed: 42, union: Union);
        var union = (ControlNetModel)Load(_context, _root, "union.safetensors", UnionFile(weights)).Network;
        var plain = (ControlNetModel)Load(_context, _root, "plain.safetensors",
            weights.Where(kv => !IsUnionKey(kv.Key)).ToDictionary(kv => "control_model." + kv.Key, kv => kv.Value, StringComparer.Ordinal)).Network;
        Assert.Null(plain.Union);
        var generator = new Generator(6);
        Tensor x = randn([1, 4, 8, 8], generator: generator), hint = rand([1, 3, 64, 64], generator: generator);
        Tensor t = tensor(new float[] { 400f }), ctx = randn([1, 77, 32], generator: generator), y = randn([1, 2816], generator: generator);
        var a = union.Forward(x, hint, t, ctx, y, []);
        var b = plain.Forward(x, hint, t, ctx, y);
        // The first residual does not depend on the embedding; the deeper ones do (auto = the embedding of the all-zero type vector).
        Assert.True(Same(a.Output[0], b.Output[0]));
        Assert.False(a.Middle.allclose(b.Middle));
    }

    [Fact]
    public void SetUnionControlNetType_chooses_the_type_used_in_sampling()
    {
        var controlNet = Load(_context, _root, "sample.safetensors", UnionFile(TinySdxlControls.Weights(zeroOutputs: false, seed: 43, union: Union)));
        var typed = (ControlNetValue)Execute(new SetUnionControlNetType(), Inputs((SetUnionControlNetType.ControlNet, controlNet),
            (SetUnionControlNetType.Type, "canny/lineart/anime_lineart/mlsd")), new TestNodeContext()).Values[0]!;
        Assert.Equal([3], typed.ControlType);
        ConditioningValue positive = TinySdxlControls.Cond(1f, 1), negative = TinySdxlControls.Cond(-1f, 2);
        var (ap, an) = Apply(controlNet, positive, negative, Hint());
        var (tp, tn) = Apply(typed, positive, negative, Hint());
        Tensor auto = Sample(SharedUNet.Value, ap, an), canny = Sample(SharedUNet.Value, tp, tn);
        Assert.False(auto.allclose(canny));
        Assert.True(Same(canny, Sample(SharedUNet.Value, tp, tn)));
        Assert.False(canny.isnan().any().item<bool>());
    }
}
