using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Gligen;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Nodes.Gligen;
using ComfySharp.Nodes.Tests.ControlNet;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Tests.Gligen;

public sealed class GligenNodeTests : IDisposable
{
    private const int KeyDim = 768;

    /// <summary>The transformer blocks of the tiny UNet, in execution order, and their widths.</summary>
    private static readonly (string Block, int Width)[] Blocks =
        [("input_blocks.1.1", 32), ("middle_block.1", 64), ("output_blocks.2.1", 32), ("output_blocks.3.1", 32)];

    private readonly string _root = TestPaths.NewTempDirectory("gligen");
    private readonly ModelNodeTestContext _context;

    public GligenNodeTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, Tensor> Write(string name, float gate)
    {
        var shapes = new Dictionary<string, long[]>
        {
            ["position_net.null_positive_feature"] = [KeyDim], ["position_net.null_position_feature"] = [64],
            ["position_net.linears.0.weight"] = [512, KeyDim + 64], ["position_net.linears.0.bias"] = [512],
            ["position_net.linears.2.weight"] = [512, 512], ["position_net.linears.2.bias"] = [512],
            ["position_net.linears.4.weight"] = [KeyDim, 512], ["position_net.linears.4.bias"] = [KeyDim],
        };
        foreach (var (block, c) in Blocks)
        {
            string p = $"{block}.transformer_blocks.0.fuser.";
            shapes[p + "linear.weight"] = [c, KeyDim];
            shapes[p + "linear.bias"] = [c];
            foreach (string a in new[] { "to_q", "to_k", "to_v" })
            {
                shapes[$"{p}attn.{a}.weight"] = [c, c];
            }
            shapes[p + "attn.to_out.0.weight"] = [c, c];
            shapes[p + "attn.to_out.0.bias"] = [c];
            shapes[p + "ff.net.0.proj.weight"] = [8 * c, c];
            shapes[p + "ff.net.0.proj.bias"] = [8 * c];
            shapes[p + "ff.net.2.weight"] = [c, 4 * c];
            shapes[p + "ff.net.2.bias"] = [c];
            foreach (string n in new[] { "norm1", "norm2" })
            {
                shapes[$"{p}{n}.weight"] = [c];
                shapes[$"{p}{n}.bias"] = [c];
            }
        }
        var generator = new Generator(31);
        var weights = shapes.ToDictionary(kv => kv.Key, kv => randn(kv.Value, generator: generator) * tensor(0.05f), StringComparer.Ordinal);
        foreach (var (block, _) in Blocks)
        {
            weights[$"{block}.transformer_blocks.0.fuser.alpha_attn"] = tensor(gate);
            weights[$"{block}.transformer_blocks.0.fuser.alpha_dense"] = tensor(gate / 2);
        }
        string folder = Path.Combine(_root, "models", "gligen");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, name), weights);
        return weights;
    }

    private GligenModel Load(string name) =>
        Assert.IsType<GligenModel>(new GLIGENLoader().ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["gligen_name"] = name }), _context).AsTask().Result.Values[0]);

    [Fact]
    public void Grounding_tokens_and_the_gated_fuser_match_an_independent_computation()
    {
        var w = Write("g.safetensors", 0.7f);
        GligenModel model = Load("g.safetensors");
        Assert.Equal(4, model.Blocks);
        Tensor pooled = randn([1, KeyDim], generator: new Generator(2));
        var box = new GligenBox(pooled, Height: 2, Width: 3, Y: 1, X: 2);
        Tensor x = randn([1, 64, 32], generator: new Generator(3));
        Tensor fused = model.Patch([1, 4, 8, 8], [box])(0, x);

        // Position net: box (x1, y1, x2, y2) = (2/8, 1/8, 5/8, 3/8); Fourier features sin/cos(100^(f/8)·coord) per frequency.
        float[] coords = [2 / 8f, 1 / 8f, 5 / 8f, 3 / 8f];
        var fourier = new float[30, 64];
        for (int f = 0; f < 8; f++)
        {
            float frequency = MathF.Pow(100f, f / 8f);
            for (int j = 0; j < 4; j++)
            {
                fourier[0, (f * 8) + j] = MathF.Sin(frequency * coords[j]);
                fourier[0, (f * 8) + 4 + j] = MathF.Cos(frequency * coords[j]);
            }
        }
        Tensor xyxy = tensor(fourier.Cast<float>().ToArray()).view(30, 64);
        xyxy = cat([xyxy[..1], w["position_net.null_position_feature"].view(1, 64).expand(29, 64)], 0);
        Tensor text = cat([pooled, w["position_net.null_positive_feature"].view(1, KeyDim).expand(29, KeyDim)], 0);
        Tensor Lin(Tensor t, string k) => F.linear(t, w[k + ".weight"], w.GetValueOrDefault(k + ".bias"));
        Tensor h = F.silu(Lin(cat([text, xyxy], -1), "position_net.linears.0"));
        h = F.silu(Lin(h, "position_net.linears.2"));
        Tensor objs = Lin(h, "position_net.linears.4").unsqueeze(0);

        // Fuser 0 (32 wide, 8 heads of 4): gated self-attention over [x ‖ linear(objs)], then the gated GEGLU feed-forward.
        string p = "input_blocks.1.1.transformer_blocks.0.fuser.";
        Tensor Norm(Tensor t, string k) => F.layer_norm(t, [32], w[p + k + ".weight"], w[p + k + ".bias"], 1e-5);
        Tensor joint = Norm(cat([x, Lin(objs, p + "linear")], 1), "norm1");
        Tensor q = Lin(joint, p + "attn.to_q"), k = Lin(joint, p + "attn.to_k"), v = Lin(joint, p + "attn.to_v");
        var heads = new List<Tensor>();
        for (int i = 0; i < 8; i++)
        {
            Tensor qi = q[.., .., (i * 4)..((i + 1) * 4)], ki = k[.., .., (i * 4)..((i + 1) * 4)], vi = v[.., .., (i * 4)..((i + 1) * 4)];
            heads.Add(softmax(qi.matmul(ki.transpose(1, 2)) / tensor(2f), -1).matmul(vi));
        }
        Tensor attention = Lin(cat(heads, -1), p + "attn.to_out.0")[.., ..64];
        Tensor expected = x + (tensor(MathF.Tanh(0.7f)) * attention);
        Tensor[] geglu = Lin(Norm(expected, "norm2"), p + "ff.net.0.proj").chunk(2, -1);
        expected = expected + (tensor(MathF.Tanh(0.35f)) * Lin(geglu[0] * F.gelu(geglu[1]), p + "ff.net.2"));
        Assert.True(fused.allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    private static UNetModel TinyUNet()
    {
        var unet = new UNetModel(TinyControlNets.Config, ModelPrediction.Epsilon, LatentFormats.Sd15);
        using var generator = new Generator(21);
        using var noGrad = no_grad();
        foreach (var (_, p) in unet.named_parameters())
        {
            p.copy_(randn(p.shape, generator: generator).mul_(tensor(0.1f)));
        }
        return unet;
    }

    [Fact]
    public void Closed_gates_leave_sampling_unchanged_and_open_gates_change_it()
    {
        Write("closed.safetensors", 0f);
        Write("open.safetensors", 0.9f);
        using UNetModel unet = TinyUNet();
        var text = new Diffusion.Conditioning([new ConditioningEntry(randn([1, 3, 16], generator: new Generator(5)), new Dictionary<string, object?>())]);
        var box = new GligenBox(randn([1, KeyDim], generator: new Generator(6)), 4, 4, 0, 0);
        Tensor x = randn([1, 4, 8, 8], generator: new Generator(7));
        Tensor sigma = tensor(new[] { 1.5f });
        Tensor Predict(Diffusion.Conditioning c) => new CfgGuider(unet, ModelSamplingDiscrete.Epsilon, new CfgRule(c, c, 1.0), 8, 8, new ModelCondInputs([1, 4, 8, 8], 0)).Predict(x, sigma);
        Tensor plain = Predict(text);
        Tensor closed = Predict(GLIGENTextBoxApply.Apply(text, Load("closed.safetensors"), box));
        Tensor opened = Predict(GLIGENTextBoxApply.Apply(text, Load("open.safetensors"), box));
        Assert.True(closed.allclose(plain, rtol: 0, atol: 0));
        Assert.False(opened.allclose(plain, rtol: 0, atol: 1e-5));
        Assert.True(Predict(text).allclose(plain, rtol: 0, atol: 0)); // the patch is removed after the call
    }

    [Fact]
    public void Boxes_accumulate_and_a_file_that_is_not_gligen_is_named_in_the_error()
    {
        Write("m.safetensors", 0.5f);
        GligenModel model = Load("m.safetensors");
        var c = new Diffusion.Conditioning([new ConditioningEntry(zeros(1, 3, 16), new Dictionary<string, object?>())]);
        var once = GLIGENTextBoxApply.Apply(c, model, new GligenBox(zeros(1, KeyDim), 8, 8, 0, 0));
        var twice = GLIGENTextBoxApply.Apply(once, model, new GligenBox(zeros(1, KeyDim), 2, 2, 1, 1));
        var condition = Assert.IsType<GligenCondition>(twice[0].Get(GligenCondition.Key));
        Assert.Equal([8L, 2], condition.Boxes.Select(b => b.Height));

        string folder = Path.Combine(_root, "models", "gligen");
        SafeTensorsWriter.Write(Path.Combine(folder, "vae.safetensors"), new Dictionary<string, Tensor> { ["encoder.conv_in.weight"] = zeros(4) });
        var error = Assert.ThrowsAny<Exception>(() => Load("vae.safetensors"));
        Assert.Contains("a VAE", (error is AggregateException agg ? agg.InnerException! : error).Message, StringComparison.Ordinal);
    }
}
