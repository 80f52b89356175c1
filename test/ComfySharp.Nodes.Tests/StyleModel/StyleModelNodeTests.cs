using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Diffusion.StyleModel;
using ComfySharp.Nodes.StyleModel;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Tests.StyleModel;

public sealed class StyleModelNodeTests : IDisposable
{
    private const int Width = 64, Tokens = 4, Context = 16, Layers = 2;

    private readonly string _root = TestPaths.NewTempDirectory("style");
    private readonly ModelNodeTestContext _context;

    public StyleModelNodeTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private NodeOutput Execute(ComfyNode node, params (InputSpec Spec, object? Value)[] values) =>
        node.ExecuteAsync(new NodeInputs(values.ToDictionary(v => v.Spec.Name, v => v.Value)), _context).AsTask().Result;

    /// <summary>A StyleAdapter in the published key layout, shrunk (64 wide, 4 tokens, 2 layers, 16-wide context).</summary>
    private Dictionary<string, Tensor> Write(string name)
    {
        var shapes = new Dictionary<string, long[]>
        {
            ["style_embedding"] = [1, Tokens, Width], ["ln_pre.weight"] = [Width], ["ln_pre.bias"] = [Width],
            ["ln_post.weight"] = [Width], ["ln_post.bias"] = [Width], ["proj"] = [Width, Context],
        };
        for (int l = 0; l < Layers; l++)
        {
            string p = $"transformer_layes.{l}.";
            shapes[p + "attn.in_proj_weight"] = [3 * Width, Width];
            shapes[p + "attn.in_proj_bias"] = [3 * Width];
            shapes[p + "attn.out_proj.weight"] = [Width, Width];
            shapes[p + "attn.out_proj.bias"] = [Width];
            shapes[p + "mlp.c_fc.weight"] = [4 * Width, Width];
            shapes[p + "mlp.c_fc.bias"] = [4 * Width];
            shapes[p + "mlp.c_proj.weight"] = [Width, 4 * Width];
            shapes[p + "mlp.c_proj.bias"] = [Width];
            foreach (string n in new[] { "ln_1", "ln_2" })
            {
                shapes[$"{p}{n}.weight"] = [Width];
                shapes[$"{p}{n}.bias"] = [Width];
            }
        }
        var generator = new Generator(17);
        var weights = shapes.ToDictionary(kv => kv.Key, kv => randn(kv.Value, generator: generator) * tensor(0.2f), StringComparer.Ordinal);
        string folder = Path.Combine(_root, "models", "style_models");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, name), weights);
        return weights;
    }

    /// <summary>The adapter written out: per-head attention by explicit softmax, QuickGELU MLP, last tokens projected.</summary>
    private static Tensor Expected(Dictionary<string, Tensor> w, Tensor vision)
    {
        Tensor Norm(Tensor t, string k) => F.layer_norm(t, [Width], w[k + ".weight"], w[k + ".bias"], 1e-5);
        Tensor x = cat([vision, w["style_embedding"].expand(vision.shape[0], Tokens, Width)], 1);
        x = Norm(x, "ln_pre");
        const int Heads = 8, HeadDim = Width / Heads;
        for (int l = 0; l < Layers; l++)
        {
            string p = $"transformer_layes.{l}.";
            Tensor h = Norm(x, p + "ln_1");
            Tensor qkv = h.matmul(w[p + "attn.in_proj_weight"].t()) + w[p + "attn.in_proj_bias"];
            var heads = new List<Tensor>();
            for (int i = 0; i < Heads; i++)
            {
                Tensor q = qkv[.., .., (i * HeadDim)..((i + 1) * HeadDim)];
                Tensor k = qkv[.., .., (Width + (i * HeadDim))..(Width + ((i + 1) * HeadDim))];
                Tensor v = qkv[.., .., ((2 * Width) + (i * HeadDim))..((2 * Width) + ((i + 1) * HeadDim))];
                heads.Add(softmax(q.matmul(k.transpose(1, 2)) / tensor(MathF.Sqrt(HeadDim)), -1).matmul(v));
            }
            x = x + (cat(heads, -1).matmul(w[p + "attn.out_proj.weight"].t()) + w[p + "attn.out_proj.bias"]);
            Tensor m = Norm(x, p + "ln_2").matmul(w[p + "mlp.c_fc.weight"].t()) + w[p + "mlp.c_fc.bias"];
            m = m * sigmoid(m * tensor(1.702f));
            x = x + (m.matmul(w[p + "mlp.c_proj.weight"].t()) + w[p + "mlp.c_proj.bias"]);
        }
        return Norm(x[.., ^Tokens.., ..], "ln_post").matmul(w["proj"]);
    }

    [Fact]
    public void Style_tokens_match_an_independent_computation_and_are_appended_scaled()
    {
        var weights = Write("style.safetensors");
        var model = Assert.IsType<StyleAdapter>(Execute(new StyleModelLoader(), (StyleModelLoader.StyleModelName, "style.safetensors")).Values[0]);
        Assert.Equal((Layers, Tokens, Context), (model.Layers, model.Tokens, model.ContextDim));
        Tensor vision = randn([2, 5, Width], generator: new Generator(3));
        Tensor expected = Expected(weights, vision);
        Assert.True(model.Forward(vision).allclose(expected, rtol: 1e-4, atol: 1e-5));

        var text = randn([1, 3, Context], generator: new Generator(4));
        var conditioning = new Diffusion.Conditioning([new ConditioningEntry(text, new Dictionary<string, object?>())]);
        var output = new ClipVisionOutput(vision, vision, zeros(2, 8));
        var result = (Diffusion.Conditioning)Execute(new StyleModelApply(), (StyleModelApply.Conditioning, conditioning), (StyleModelApply.StyleModel, model),
            (StyleModelApply.ClipVisionOutput, output), (StyleModelApply.Strength, 0.5), (StyleModelApply.StrengthType, "multiply")).Values[0]!;
        Tensor embedding = result[0].Embedding;
        Assert.Equal([1L, 3 + (2 * Tokens), Context], embedding.shape);
        Assert.True(embedding[.., ..3].allclose(text, rtol: 0, atol: 0));
        Assert.True(embedding[.., 3..].allclose(expected.reshape(1, 2 * Tokens, Context) * tensor(0.5f), rtol: 1e-4, atol: 1e-5));
        Assert.Null(result[0].Get(StyleModelApply.AttentionMask));
    }

    [Fact]
    public void Attn_bias_records_log_strength_towards_the_style_tokens()
    {
        Tensor text = zeros(1, 3, Context);
        var conditioning = new Diffusion.Conditioning([new ConditioningEntry(text, new Dictionary<string, object?>())]);
        Tensor style = ones(1, 2, Context);
        var result = StyleModelApply.Apply(conditioning, style, 0.5, "attn_bias");
        Assert.True(result[0].Embedding[.., 3..].allclose(style, rtol: 0, atol: 0)); // attn_bias does not scale the tokens
        var mask = Assert.IsType<Tensor>(result[0].Get(StyleModelApply.AttentionMask));
        Assert.Equal([1L, 6, 6], mask.shape); // 3 text + 2 style + 1 reference token
        float bias = MathF.Log(0.5f);
        for (int r = 0; r < 6; r++)
        {
            for (int c = 0; c < 6; c++)
            {
                bool toStyle = c is 3 or 4 && r is not (3 or 4);
                Assert.Equal(toStyle ? (float)(Half)bias : 0f, mask[0, r, c].to_type(ScalarType.Float32).item<float>());
            }
        }
        Assert.Null(StyleModelApply.Apply(conditioning, style, 1.0, "attn_bias")[0].Get(StyleModelApply.AttentionMask));
    }

    [Fact]
    public void A_file_that_is_not_a_style_model_is_named_in_the_error()
    {
        string folder = Path.Combine(_root, "models", "style_models");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, "cn.safetensors"), new Dictionary<string, Tensor> { ["control_model.input_hint_block.0.weight"] = zeros(4) });
        var error = Assert.ThrowsAny<Exception>(() => Execute(new StyleModelLoader(), (StyleModelLoader.StyleModelName, "cn.safetensors")));
        Assert.Contains("a ControlNet", (error is AggregateException agg ? agg.InnerException! : error).Message, StringComparison.Ordinal);
    }
}
