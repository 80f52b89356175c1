using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Nodes.ClipVision;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Tests.ClipVision;

public sealed class ClipVisionNodeTests : IDisposable
{
    /// <summary>A ViT-L-style tower shrunk to 64 wide, 2 layers, 28-pixel images (4 patches of 14).</summary>
    private static readonly ClipVisionConfig Tiny = ClipVisionConfig.VitL with { Width = 64, Layers = 2, Heads = 1, Intermediate = 128, ProjectionDim = 32, ImageSize = 28 };

    private readonly string _root = TestPaths.NewTempDirectory("clipvision");
    private readonly ModelNodeTestContext _context;

    public ClipVisionNodeTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static NodeOutput Execute(ComfyNode node, NodeInputs inputs, NodeContext context) => node.ExecuteAsync(inputs, context).AsTask().Result;

    private static NodeInputs Inputs(params (InputSpec Spec, object? Value)[] values) => new(values.ToDictionary(v => v.Spec.Name, v => v.Value));

    private Dictionary<string, Tensor> WriteTower(string name)
    {
        using var model = new ClipVisionModel(Tiny);
        var generator = new Generator(3);
        var weights = model.named_parameters().ToDictionary(p => p.name, p => randn(p.parameter.shape, generator: generator).mul_(tensor(0.2f)), StringComparer.Ordinal);
        string folder = Path.Combine(_root, "models", "clip_vision");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, name), weights);
        return weights;
    }

    private ClipVisionModel Load(string name) =>
        Assert.IsType<ClipVisionModel>(Execute(new CLIPVisionLoader(), Inputs((CLIPVisionLoader.ClipName, name)), _context).Values[0]);

    [Fact]
    public void Encoding_matches_an_independent_computation_of_the_vit()
    {
        var w = WriteTower("tiny.safetensors");
        var model = Load("tiny.safetensors");
        Assert.Equal(2, model.Config.Layers);
        Assert.Equal(28, model.Config.ImageSize);
        Assert.True(model.Config.QuickGelu);
        Tensor image = rand([2, 28, 28, 3], generator: new Generator(8));
        var output = Assert.IsType<ClipVisionOutput>(Execute(new CLIPVisionEncode(), Inputs((CLIPVisionEncode.ClipVision, model), (CLIPVisionEncode.Image, image), (CLIPVisionEncode.Crop, "none")), _context).Values[0]);

        // Preprocessing at the native size: 8-bit quantisation, then CLIP's mean and standard deviation.
        Tensor pixels = (image * tensor(255f)).clamp(0.0, 255.0).round() / tensor(255f);
        pixels = (pixels.permute(0, 3, 1, 2) - tensor(new[] { 0.48145466f, 0.4578275f, 0.40821073f }).view(1, 3, 1, 1)) / tensor(new[] { 0.26862954f, 0.26130258f, 0.27577711f }).view(1, 3, 1, 1);
        string p = "vision_model.";
        Tensor LayerNorm(Tensor t, string key) => F.layer_norm(t, [64], w[key + ".weight"], w[key + ".bias"], 1e-5);
        Tensor Linear(Tensor t, string key) => F.linear(t, w[key + ".weight"], w.GetValueOrDefault(key + ".bias"));
        Tensor x = F.conv2d(pixels, w[p + "embeddings.patch_embedding.weight"], null, [14, 14]).flatten(2).transpose(1, 2);
        x = cat([w[p + "embeddings.class_embedding"].view(1, 1, 64).expand(2, 1, 64), x], 1) + w[p + "embeddings.position_embedding.weight"];
        x = LayerNorm(x, p + "pre_layrnorm");
        var states = new List<Tensor>();
        for (int i = 0; i < 2; i++)
        {
            string l = $"{p}encoder.layers.{i}.";
            Tensor h = LayerNorm(x, l + "layer_norm1");
            Tensor q = Linear(h, l + "self_attn.q_proj"), k = Linear(h, l + "self_attn.k_proj"), v = Linear(h, l + "self_attn.v_proj");
            Tensor attention = softmax(q.matmul(k.transpose(1, 2)) / tensor(8f), -1).matmul(v);
            x = x + Linear(attention, l + "self_attn.out_proj");
            Tensor m = Linear(LayerNorm(x, l + "layer_norm2"), l + "mlp.fc1");
            x = x + Linear(m * sigmoid(m * tensor(1.702f)), l + "mlp.fc2");
            states.Add(x);
        }
        Tensor embeds = Linear(LayerNorm(x[.., 0, ..], p + "post_layernorm"), "visual_projection");

        Assert.True(output.LastHiddenState.allclose(states[1], rtol: 1e-4, atol: 1e-5));
        Assert.True(output.PenultimateHiddenStates.allclose(states[0], rtol: 1e-4, atol: 1e-5));
        Assert.True(output.ImageEmbeds.allclose(embeds, rtol: 1e-4, atol: 1e-5));
        Assert.Equal([2L, 32], output.ImageEmbeds.shape);
    }

    [Fact]
    public void Other_sizes_are_resized_and_centre_cropped()
    {
        WriteTower("crop.safetensors");
        var model = Load("crop.safetensors");
        Tensor image = rand([1, 40, 70, 3], generator: new Generator(8));
        var center = (ClipVisionOutput)Execute(new CLIPVisionEncode(), Inputs((CLIPVisionEncode.ClipVision, model), (CLIPVisionEncode.Image, image), (CLIPVisionEncode.Crop, "center")), _context).Values[0]!;
        var none = (ClipVisionOutput)Execute(new CLIPVisionEncode(), Inputs((CLIPVisionEncode.ClipVision, model), (CLIPVisionEncode.Image, image), (CLIPVisionEncode.Crop, "none")), _context).Values[0]!;
        Assert.Equal([1L, 5, 64], center.LastHiddenState.shape);
        Assert.False(center.ImageEmbeds.allclose(none.ImageEmbeds));
        Assert.Equal([1L, 3, 28, 28], ClipVisionPreprocess.Apply(image, 28, crop: true).shape);
    }

    [Fact]
    public void Published_layer_counts_name_the_family()
    {
        static Dictionary<string, long[]> Shapes(int layers, int width, int projection)
        {
            var shapes = new Dictionary<string, long[]>
            {
                ["vision_model.embeddings.patch_embedding.weight"] = [width, 3, 14, 14],
                ["vision_model.embeddings.position_embedding.weight"] = [257, width],
                ["vision_model.encoder.layers.0.mlp.fc1.weight"] = [width * 4, width],
                ["visual_projection.weight"] = [projection, width],
            };
            for (int i = 0; i < layers; i++)
            {
                shapes[$"vision_model.encoder.layers.{i}.layer_norm1.weight"] = [width];
            }
            return shapes;
        }
        Assert.Equal(ClipVisionConfig.VitL with { Intermediate = 4096 }, ClipVisionLoading.Detect(Shapes(24, 1024, 768), "l"));
        Assert.Equal(ClipVisionConfig.VitH, ClipVisionLoading.Detect(Shapes(32, 1280, 1024), "h"));
        Assert.Equal(ClipVisionConfig.VitBigG with { Intermediate = 1664 * 4 }, ClipVisionLoading.Detect(Shapes(48, 1664, 1280), "g"));
    }

    [Fact]
    public void A_checkpoint_given_to_the_clip_vision_loader_is_named_in_the_error()
    {
        string folder = Path.Combine(_root, "models", "clip_vision");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, "sd.safetensors"), new Dictionary<string, Tensor> { ["model.diffusion_model.out.2.weight"] = zeros(4) });
        var error = Assert.ThrowsAny<Exception>(() => Load("sd.safetensors"));
        Assert.Contains("Stable Diffusion checkpoint", (error is AggregateException agg ? agg.InnerException! : error).Message, StringComparison.Ordinal);
    }
}
