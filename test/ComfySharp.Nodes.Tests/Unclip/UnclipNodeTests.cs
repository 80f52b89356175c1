using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Nodes.ClipVision;
using ComfySharp.Nodes.Conditioning;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Unclip;

public sealed class UnclipNodeTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("unclip");
    private readonly ModelNodeTestContext _context;

    public UnclipNodeTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static NodeOutput Execute(ComfyNode node, NodeInputs inputs, NodeContext context) => node.ExecuteAsync(inputs, context).AsTask().Result;

    private static NodeInputs Inputs(params (InputSpec Spec, object? Value)[] values) => new(values.ToDictionary(v => v.Spec.Name, v => v.Value));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.allclose(b, rtol: 0, atol: 0);

    private static ClipVisionOutput Embeds(Tensor imageEmbeds) => new(zeros(1, 1, 1), zeros(1, 1, 1), imageEmbeds);

    /// <summary>√ᾱ and √(1−ᾱ) at <paramref name="level"/> of the cosine schedule cos²((t + 0.008)/1.008·π/2), betas capped at 0.999.</summary>
    private static (float Signal, float Noise) Coefficients(int level)
    {
        double product = 1;
        for (int i = 0; i <= level; i++)
        {
            double f(double t) => Math.Cos((t + 0.008) / 1.008 * Math.PI / 2) * Math.Cos((t + 0.008) / 1.008 * Math.PI / 2);
            product *= 1 - Math.Min(1 - (f((i + 1) / 1000.0) / f(i / 1000.0)), 0.999);
        }
        return ((float)Math.Sqrt(product), (float)Math.Sqrt(1 - product));
    }

    /// <summary>[cos(level·ωⱼ) | sin(level·ωⱼ)] with ωⱼ = 10000^(−j/(dim/2)).</summary>
    private static Tensor LevelEmbedding(int level, int dim)
    {
        int half = dim / 2;
        var values = new float[dim];
        for (int j = 0; j < half; j++)
        {
            float frequency = MathF.Exp(-MathF.Log(10000f) * j / half);
            values[j] = MathF.Cos(level * frequency);
            values[half + j] = MathF.Sin(level * frequency);
        }
        return tensor(values).view(1, dim);
    }

    [Fact]
    public void One_image_is_noised_at_its_level_and_its_level_embedding_appended()
    {
        Tensor embeds = randn([1, 6], generator: new Generator(4));
        const ulong Seed = 123;
        Tensor adm = UnclipAdm.Encode([new UnclipCondition(Embeds(embeds), 1.5, 0.3)], 6, Seed, 0.05);

        Assert.Equal(300, UnclipAdm.NoiseLevel(0.3)); // round(999 · 0.3) = round(299.7)
        var (a, b) = Coefficients(300);
        Tensor noise = randn([1, 6], generator: new Generator(Seed));
        Tensor expected = cat([embeds * tensor(a) + noise * tensor(b), LevelEmbedding(300, 6)], 1) * tensor(1.5f);
        Assert.Equal([1L, 12], adm.shape);
        Assert.True(adm.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Several_images_are_summed_and_augmented_again_at_the_merge_level()
    {
        Tensor first = randn([2, 4], generator: new Generator(1)); // a batch of two images
        Tensor second = randn([1, 4], generator: new Generator(2));
        const ulong Seed = 9;
        Tensor adm = UnclipAdm.Encode([new UnclipCondition(Embeds(first), 1.0, 0.0), new UnclipCondition(Embeds(second), -0.5, 1.0)], 4, Seed, 0.05);

        using var generator = new Generator(Seed);
        Tensor n1 = randn([1, 4], generator: generator); // every image draws the same noise (the generator is reseeded)
        Tensor n2 = randn([1, 4], generator: generator); // the merge continues it
        Tensor One(Tensor x, int level, float strength)
        {
            var (a, b) = Coefficients(level);
            return cat([x * tensor(a) + n1 * tensor(b), LevelEmbedding(level, 4)], 1) * tensor(strength);
        }
        Tensor sum = One(first[0..1], 0, 1f) + One(first[1..2], 0, 1f) + One(second, 999, -0.5f);
        var (ma, mb) = Coefficients(50); // round(999 · 0.05) = 50
        Tensor expected = cat([sum[.., ..4] * tensor(ma) + n2 * tensor(mb), LevelEmbedding(50, 4)], 1);
        Assert.True(adm.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Unclip_models_take_zeros_without_an_image_and_seed_minus_ten_with_one()
    {
        var entry = new ConditioningEntry(zeros(1, 2, 8), new Dictionary<string, object?>());
        Tensor none = AdmEncoding.Encode(2048, entry, 8, 8, 50)!;
        Assert.Equal([1L, 2048], none.shape);
        Assert.Equal(0, none.abs().sum().item<float>());

        var image = new UnclipCondition(Embeds(randn([1, 768], generator: new Generator(3))), 1.0, 0.1);
        var withImage = unCLIPConditioning.Apply([entry], image)[0];
        Tensor y = AdmEncoding.Encode(1536, withImage, 8, 8, 50)!;
        Assert.True(Same(y, UnclipAdm.Encode([image], 768, 40, UnclipAdm.Sd21MergeAugmentation)));
        Tensor wrapped = AdmEncoding.Encode(1536, withImage, 8, 8, 3)!; // 3 − 10 wraps as the reference's uint64 seed does
        Assert.True(Same(wrapped, UnclipAdm.Encode([image], 768, unchecked(3UL - 10), UnclipAdm.Sd21MergeAugmentation)));

        var error = Assert.Throws<InvalidOperationException>(() => AdmEncoding.Encode(2048, withImage, 8, 8, 50));
        Assert.Contains("needs 1024", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Applications_append_and_strength_zero_returns_the_input()
    {
        var conditioning = new Diffusion.Conditioning([new ConditioningEntry(zeros(1, 2, 8), new Dictionary<string, object?>())]);
        ClipVisionOutput output = Embeds(ones(1, 4));
        var node = new unCLIPConditioning();
        var once = (Diffusion.Conditioning)Execute(node, Inputs((unCLIPConditioning.Conditioning, conditioning), (unCLIPConditioning.ClipVisionOutput, output),
            (unCLIPConditioning.Strength, 0.7), (unCLIPConditioning.NoiseAugmentation, 0.2)), _context).Values[0]!;
        var twice = (Diffusion.Conditioning)Execute(node, Inputs((unCLIPConditioning.Conditioning, once), (unCLIPConditioning.ClipVisionOutput, output),
            (unCLIPConditioning.Strength, 0.3), (unCLIPConditioning.NoiseAugmentation, 0.0)), _context).Values[0]!;
        var list = Assert.IsAssignableFrom<IReadOnlyList<UnclipCondition>>(twice[0].Get(UnclipAdm.Key));
        Assert.Equal([0.7, 0.3], list.Select(c => c.Strength));
        Assert.Null(conditioning[0].Get(UnclipAdm.Key));
        var same = Execute(node, Inputs((unCLIPConditioning.Conditioning, conditioning), (unCLIPConditioning.ClipVisionOutput, output),
            (unCLIPConditioning.Strength, 0.0), (unCLIPConditioning.NoiseAugmentation, 0.5)), _context).Values[0];
        Assert.Same(conditioning, same);
    }

    [Fact]
    public void Published_unclip_layouts_are_detected_as_sd2_with_their_adm_width()
    {
        foreach (long adm in new long[] { 1536, 2048 })
        {
            var shapes = LdmKeyLayout.UNet("model.diffusion_model.", LdmUNetShape.Sd2 with { AdmChannels = adm }).ToDictionary(t => t.Key, t => t.Shape, StringComparer.Ordinal);
            DetectedModel detected = ModelDetection.DetectUNet(shapes, ModelDetection.CheckpointUNetPrefix)!;
            Assert.Equal(ModelFamily.Sd2, detected.Family);
            Assert.Equal((int)adm, detected.UNet.AdmInChannels);
            Assert.Equal("Sd2 unCLIP", detected.Variant);
        }
    }

    private string WriteCheckpoint(string name)
    {
        string folder = Path.Combine(_root, "models", "checkpoints");
        Directory.CreateDirectory(folder);
        UnclipFiles.Checkpoint(name).Write(Path.Combine(folder, name));
        return Path.Combine(folder, name);
    }

    [Fact]
    public void The_loader_returns_the_embedded_image_encoder_in_the_transformers_layout()
    {
        string path = WriteCheckpoint("unclip_h.safetensors");
        var outputs = Execute(new unCLIPCheckpointLoader(), Inputs((unCLIPCheckpointLoader.CkptName, "unclip_h.safetensors")), _context).Values;
        var model = Assert.IsType<ModelPatcher>(outputs[0]);
        Assert.Equal(2048, model.Network.AdmChannels);
        Assert.Null(outputs[1]); // no text encoder in this file
        Assert.Null(outputs[2]); // no VAE
        var vision = Assert.IsType<ClipVisionModel>(outputs[3]);
        Assert.Equal(1024, vision.Config.ProjectionDim);

        // The same weights renamed by hand to the transformers layout, through CLIPVisionLoader, encode identically.
        using var file = SafeTensorsFile.Open(path);
        string p = ClipVisionCheckpointLoading.UnclipPrefix;
        Tensor Read(string key) => file.Load(p + key, ScalarType.Float32);
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["vision_model.embeddings.class_embedding"] = Read("class_embedding"),
            ["vision_model.embeddings.patch_embedding.weight"] = Read("conv1.weight"),
            ["vision_model.embeddings.position_embedding.weight"] = Read("positional_embedding"),
            ["vision_model.pre_layrnorm.weight"] = Read("ln_pre.weight"),
            ["vision_model.pre_layrnorm.bias"] = Read("ln_pre.bias"),
            ["vision_model.post_layernorm.weight"] = Read("ln_post.weight"),
            ["vision_model.post_layernorm.bias"] = Read("ln_post.bias"),
            ["visual_projection.weight"] = Read("proj").t().contiguous(),
        };
        for (int l = 0; l < UnclipFiles.VisionLayers; l++)
        {
            string o = $"transformer.resblocks.{l}.", h = $"vision_model.encoder.layers.{l}.";
            Tensor[] w = Read(o + "attn.in_proj_weight").chunk(3, 0), bias = Read(o + "attn.in_proj_bias").chunk(3, 0);
            string[] qkv = ["q_proj", "k_proj", "v_proj"];
            for (int i = 0; i < 3; i++)
            {
                renamed[$"{h}self_attn.{qkv[i]}.weight"] = w[i].contiguous();
                renamed[$"{h}self_attn.{qkv[i]}.bias"] = bias[i].contiguous();
            }
            foreach (var (from, to) in new[] { ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"), ("attn.out_proj", "self_attn.out_proj"), ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2") })
            {
                renamed[$"{h}{to}.weight"] = Read($"{o}{from}.weight");
                renamed[$"{h}{to}.bias"] = Read($"{o}{from}.bias");
            }
        }
        string visionFolder = Path.Combine(_root, "models", "clip_vision");
        Directory.CreateDirectory(visionFolder);
        SafeTensorsWriter.Write(Path.Combine(visionFolder, "same.safetensors"), renamed);
        var reference = Assert.IsType<ClipVisionModel>(Execute(new CLIPVisionLoader(), Inputs((CLIPVisionLoader.ClipName, "same.safetensors")), _context).Values[0]);

        Tensor image = rand([1, 40, 36, 3], generator: new Generator(8));
        ClipVisionOutput Encode(ClipVisionModel m) => (ClipVisionOutput)Execute(new CLIPVisionEncode(),
            Inputs((CLIPVisionEncode.ClipVision, m), (CLIPVisionEncode.Image, image), (CLIPVisionEncode.Crop, "center")), _context).Values[0]!;
        Assert.True(Same(Encode(vision).ImageEmbeds, Encode(reference).ImageEmbeds));
    }

    [Fact]
    public void Sampling_feeds_the_augmented_image_embedding_to_the_unet()
    {
        WriteCheckpoint("unclip_sample.safetensors");
        var outputs = Execute(new unCLIPCheckpointLoader(), Inputs((unCLIPCheckpointLoader.CkptName, "unclip_sample.safetensors")), _context).Values;
        var model = (ModelPatcher)outputs[0]!;
        var vision = (ClipVisionModel)outputs[3]!;
        var encoded = (ClipVisionOutput)Execute(new CLIPVisionEncode(), Inputs((CLIPVisionEncode.ClipVision, vision),
            (CLIPVisionEncode.Image, rand([1, 28, 28, 3], generator: new Generator(2))), (CLIPVisionEncode.Crop, "none")), _context).Values[0]!;
        var text = new Diffusion.Conditioning([new ConditioningEntry(randn([1, 3, 1024], generator: new Generator(5)).mul_(tensor(0.1f)), new Dictionary<string, object?>())]);
        var condition = new UnclipCondition(encoded, 1.2, 0.25);
        Diffusion.Conditioning positive = unCLIPConditioning.Apply(text, condition);

        var sampling = ModelSamplingDiscrete.For(model);
        var guider = new CfgGuider(model.Network, sampling, new CfgRule(positive, positive, 1.0), 4, 4, new ModelCondInputs([1, 4, 4, 4], 77));
        Tensor x = randn([1, 4, 4, 4], generator: new Generator(6));
        Tensor sigma = tensor(new[] { 3.5f });
        Tensor predicted = guider.Predict(x, sigma);

        Tensor y = UnclipAdm.Encode([condition], 1024, 67, UnclipAdm.Sd21MergeAugmentation);
        Tensor expected = guider.ApplyModel(x, sigma, text[0].Embedding, y);
        Tensor withoutImage = guider.ApplyModel(x, sigma, text[0].Embedding, zeros(1, 2048));
        Assert.True(Same(predicted, expected));
        Assert.False(predicted.allclose(withoutImage, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_named_in_the_error()
    {
        string folder = Path.Combine(_root, "models", "checkpoints");
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, "lora.safetensors"), new Dictionary<string, Tensor> { ["lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight"] = zeros(4, 1) });
        var error = Assert.ThrowsAny<Exception>(() => Execute(new unCLIPCheckpointLoader(), Inputs((unCLIPCheckpointLoader.CkptName, "lora.safetensors")), _context));
        Assert.Contains("a LoRA", (error is AggregateException agg ? agg.InnerException! : error).Message, StringComparison.Ordinal);
    }
}
