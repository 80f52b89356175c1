using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Nodes.Loaders;
using ComfySharp.Nodes.Vae;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Loaders;

/// <summary>
/// The golden random SD1.5 checkpoint served from a checkpoints folder, loaded once through
/// CheckpointLoaderSimple with a model manager, plus a standalone VAE file cut from it.
/// </summary>
public sealed class Sd15NodeFixture : IDisposable
{
    public Sd15NodeFixture()
    {
        Base = TestPaths.NewTempDirectory("sd15-nodes");
        Manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu });
        Context = new ModelNodeTestContext(Base);
        Context.Add(Manager);
        // The cached file lives outside the layout; an extra checkpoints path serves it without copying 2 GB.
        Context.Folders.AddPath("checkpoints", Path.GetDirectoryName(RandomSd15Checkpoint.EnsureFile())!);
        string vaeDir = Path.Combine(Context.Directories.Models, "vae");
        Directory.CreateDirectory(vaeDir);
        using (var scope = NewDisposeScope())
        {
            SafeTensorsWriter.Write(Path.Combine(vaeDir, "standalone.safetensors"), RandomSd15Checkpoint.CreateTensors("first_stage_model."));
        }
        Outputs = new CheckpointLoaderSimple()
            .ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["ckpt_name"] = RandomSd15Checkpoint.FileName }), Context)
            .AsTask().GetAwaiter().GetResult().Values;
    }

    public string Base { get; }

    public ModelManager Manager { get; }

    public ModelNodeTestContext Context { get; }

    public IReadOnlyList<object?> Outputs { get; }

    public void Dispose()
    {
        (Outputs[0] as ModelPatcher)?.Network.Module.Dispose();
        (Outputs[2] as VaeModel)?.Dispose();
        (Outputs[1] as ClipModel)?.Encoder.Dispose();
        Directory.Delete(Base, recursive: true);
    }
}

public sealed class CheckpointNodeTests(Sd15NodeFixture fixture) : IClassFixture<Sd15NodeFixture>
{
    private static SafeTensorsFile Golden(string name) =>
        SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "06_vae", name + ".safetensors"));

    private static NodeInputs Inputs(params (string Name, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void Checkpoint_loader_returns_an_sd15_model_and_a_vae()
    {
        var model = Assert.IsType<ModelPatcher>(fixture.Outputs[0]);
        Assert.Equal(ModelPrediction.Epsilon, model.Network.Prediction);
        Assert.Equal(0.18215, model.Network.LatentFormat.ScaleFactor);
        Assert.Empty(model.Patches);
        Assert.IsType<VaeModel>(fixture.Outputs[2]);
        var clip = Assert.IsType<ClipModel>(fixture.Outputs[1]);
        Assert.NotNull(clip.Embeddings);
    }

    [Fact]
    public async Task Loading_the_same_file_again_shares_the_loaded_model()
    {
        var again = (await new CheckpointLoaderSimple()
            .ExecuteAsync(Inputs(("ckpt_name", RandomSd15Checkpoint.FileName)), fixture.Context)).Values;
        Assert.Same(((ModelPatcher)fixture.Outputs[0]!).Network, ((ModelPatcher)again[0]!).Network);
        Assert.Same(fixture.Outputs[2], again[2]);
        Assert.Same(((ClipModel)fixture.Outputs[1]!).Encoder, ((ClipModel)again[1]!).Encoder);
        Assert.Contains(fixture.Manager.Loaded, m => m.Variant == "checkpoint" && m.Bytes > 3_000_000_000);
    }

    [Fact]
    public async Task Vae_decode_node_matches_the_reference_image()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("decode");
        var output = await new VAEDecode().ExecuteAsync(
            Inputs(("samples", new LatentValue(golden.Load("latent"))), ("vae", fixture.Outputs[2])), fixture.Context);
        var image = Assert.IsType<Tensor>(output.Values[0], exactMatch: false);
        Tensor expected = golden.Load("image");
        Assert.Equal(expected.shape, image.shape);
        Assert.True((expected - image).abs().max().item<float>() <= 1e-4);
    }

    [Fact]
    public async Task Vae_encode_node_matches_the_reference_latent()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("encode");
        var output = await new VAEEncode().ExecuteAsync(
            Inputs(("pixels", golden.Load("image")), ("vae", fixture.Outputs[2])), fixture.Context);
        var latent = Assert.IsType<LatentValue>(output.Values[0]);
        Tensor expected = golden.Load("latent");
        double rel = (expected - latent.Samples).abs().max().item<float>() / expected.abs().max().item<float>();
        Assert.True(rel <= 1e-4, $"rel {rel:E2}");
    }

    [Fact]
    public async Task Vae_loader_loads_a_standalone_vae_that_decodes_like_the_checkpoint_vae()
    {
        using var scope = NewDisposeScope();
        var output = await new VAELoader().ExecuteAsync(Inputs(("vae_name", "standalone.safetensors")), fixture.Context);
        var standalone = Assert.IsType<VaeModel>(output.Values[0]);
        Assert.NotSame(fixture.Outputs[2], standalone);
        using var golden = Golden("decode");
        Tensor latent = golden.Load("latent");
        Tensor a = standalone.Decode(latent);
        Tensor b = ((VaeModel)fixture.Outputs[2]!).Decode(latent);
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public async Task Tiled_nodes_clamp_the_overlap_and_return_full_sized_results()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("encode");
        Tensor image = golden.Load("image");
        var encoded = await new VAEEncodeTiled().ExecuteAsync(
            Inputs(("pixels", image), ("vae", fixture.Outputs[2]), ("tile_size", 64L), ("overlap", 64L), ("temporal_size", 64L), ("temporal_overlap", 8L)),
            fixture.Context);
        var latent = Assert.IsType<LatentValue>(encoded.Values[0]);
        Assert.Equal([1L, 4, 8, 8], latent.Samples.shape);
        var decoded = await new VAEDecodeTiled().ExecuteAsync(
            Inputs(("samples", latent), ("vae", fixture.Outputs[2]), ("tile_size", 128L), ("overlap", 64L), ("temporal_size", 64L), ("temporal_overlap", 8L)),
            fixture.Context);
        var pixels = Assert.IsType<Tensor>(decoded.Values[0], exactMatch: false);
        Assert.Equal([1L, 64, 64, 3], pixels.shape);
        Assert.True(pixels.isfinite().all().item<bool>());
    }
}
