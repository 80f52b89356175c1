using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Nodes.ModelMerging;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.ModelMerging;

/// <summary>Save nodes: files in the reference's key layout, patches baked in, and loadable again.</summary>
public sealed class ModelSavingNodeTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("model-save");
    private readonly TestNodeContext _context;

    public ModelSavingNodeTests() => _context = new TestNodeContext(services: TestNodeContext.WithModelFolders(_root));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Output => new ComfyDirectories(_root).Output;

    private void Run(ComfyNode node, Dictionary<string, object?> values)
    {
        NodeOutput output = node.ExecuteAsync(new NodeInputs(values), _context).AsTask().Result;
        Assert.Empty(output.Values);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static ClipModel TinyClip()
    {
        using var encoder = new ClipTextEncoder(new ClipTextConfig(10, 4, 8, 1, 1, 16));
        using var generator = new Generator(9, CPU);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in encoder.named_parameters())
        {
            weights[name] = randn(p.shape, generator: generator).to_type(ScalarType.Float16);
        }
        foreach (var (name, b) in encoder.named_buffers())
        {
            weights[name] = b.clone();
        }
        return ClipModel.FromWeights(weights);
    }

    private const string VaePrefix = "first_stage_model.";

    private static readonly AutoencoderConfig TinyVae = new() { Channels = 8, ChannelMult = [1, 2], NumResBlocks = 1 };

    private static VaeModel RandomVae()
    {
        var network = new AutoencoderKL(TinyVae);
        using var generator = new Generator(4, CPU);
        using (no_grad())
        {
            foreach (var (_, p) in network.named_parameters())
            {
                p.copy_(randn(p.shape, generator: generator));
            }
        }
        return new VaeModel(network);
    }

    [Fact]
    public void ModelSave_bakes_the_patches_into_the_unet_keys()
    {
        var network = new FakeNetwork();
        var model = new ModelPatcher(network).WithPatches([new WeightPatch("proj.weight", 0.5, w => ones_like(w))]);
        Tensor original = network.Weight.detach().clone();
        Tensor expected = original + 0.5f;
        Run(new ModelSave(), new() { ["model"] = model, ["filename_prefix"] = "diffusion_models/merged" });
        Run(new ModelSave(), new() { ["model"] = model, ["filename_prefix"] = "diffusion_models/merged" });

        string folder = Path.Combine(Output, "diffusion_models");
        Assert.Equal(["merged_00001_.safetensors", "merged_00002_.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        using var file = SafeTensorsFile.Open(Path.Combine(folder, "merged_00001_.safetensors"));
        Assert.Equal(["model.diffusion_model.proj.weight"], file.Keys);
        Assert.True(Same(expected, file.Load("model.diffusion_model.proj.weight")));
        Assert.Equal("{}", file.Metadata["prompt"]);
        // The model's own weight is restored after saving.
        Assert.True(Same(original, network.Weight));
    }

    [Fact]
    public void CLIPSave_round_trips_through_the_text_encoder_loader()
    {
        ClipModel clip = TinyClip();
        Run(new CLIPSave(), new() { ["clip"] = clip, ["filename_prefix"] = "clip/tiny" });
        string path = Path.Combine(Output, "clip", "tiny_clip_l_00001_.safetensors");
        using var file = SafeTensorsFile.Open(path);
        Assert.All(file.Keys, k => Assert.StartsWith("text_model.", k, StringComparison.Ordinal));
        // The text-encoder loader takes only the real widths (768/1024/1280) and names this tiny one in its error;
        // the saved keys are read back by name instead.
        Assert.Contains("width 8", Assert.Throws<NotSupportedException>(() => ClipModel.FromTextEncoderFile(file)).Message, StringComparison.Ordinal);
        var stored = file.Keys.ToDictionary(k => k["text_model.".Length..], k => file.Load(k), StringComparer.Ordinal);
        ClipModel loaded = ClipModel.FromWeights(stored);
        foreach (var (name, weight) in clip.Encoder.named_parameters())
        {
            Assert.True(Same(weight, loaded.Encoder.GetStoredWeight(name)), name);
        }
    }

    [Fact]
    public void CheckpointSave_writes_the_three_parts_under_the_checkpoint_prefixes()
    {
        var network = new FakeNetwork();
        ClipModel clip = TinyClip();
        const string key = "encoder.layers.0.mlp.fc1.weight";
        var patched = clip.WithPatches([new WeightPatch(key, 2.0, w => full_like(w, 0.25f))]);
        using VaeModel vae = RandomVae();
        Run(new CheckpointSave(), new() { ["model"] = new ModelPatcher(network), ["clip"] = patched, ["vae"] = vae, ["filename_prefix"] = "checkpoints/all" });

        using var file = SafeTensorsFile.Open(Path.Combine(Output, "checkpoints", "all_00001_.safetensors"));
        Assert.True(Same(network.Weight, file.Load("model.diffusion_model.proj.weight")));
        ClipModel loadedClip = ClipModel.FromCheckpoint(file);
        Tensor expected = (clip.Encoder.GetStoredWeight(key).to_type(ScalarType.Float32) + 0.5f).to_type(ScalarType.Float16);
        Assert.True(Same(expected, loadedClip.Encoder.GetStoredWeight(key)));
        using var reloaded = new AutoencoderKL(TinyVae);
        string[] vaeKeys = [.. file.KeysWithPrefix(VaePrefix).Select(k => k[VaePrefix.Length..])];
        StrictLoading.Load(reloaded, vaeKeys, k => file.Load(VaePrefix + k), "saved VAE");
        foreach (var (name, weight) in vae.Network.named_parameters())
        {
            Assert.True(Same(weight, WeightMerging.Weights(reloaded)[name]), name);
        }
    }

    [Fact]
    public void VAESave_writes_unprefixed_keys_and_refuses_paths_outside_the_output_folder()
    {
        using VaeModel vae = RandomVae();
        Run(new VAESave(), new() { ["vae"] = vae, ["filename_prefix"] = "vae/tiny" });
        using var file = SafeTensorsFile.Open(Path.Combine(Output, "vae", "tiny_00001_.safetensors"));
        Assert.Equal(WeightMerging.Weights(vae.Network).Keys.Order(StringComparer.Ordinal), file.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("encoder.conv_in.weight", file.Keys);
        Assert.ThrowsAny<Exception>(() => Run(new VAESave(), new() { ["vae"] = vae, ["filename_prefix"] = "../../escape" }));
    }
}
