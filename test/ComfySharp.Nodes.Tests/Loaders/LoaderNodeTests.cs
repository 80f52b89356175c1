using ComfySharp.Abstractions;
using ComfySharp.Nodes.Loaders;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;

namespace ComfySharp.Nodes.Tests.Loaders;

public sealed class LoaderNodeTests : IDisposable
{
    private readonly string _base = TestPaths.NewTempDirectory("loader-nodes");
    private readonly ModelNodeTestContext _context;

    public LoaderNodeTests() => _context = new ModelNodeTestContext(_base);

    public void Dispose() => Directory.Delete(_base, recursive: true);

    private static NodeInputs Inputs(params (string Name, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));

    private void Touch(string relative)
    {
        string path = Path.Combine(_context.Directories.Models, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1, 2, 3]);
    }

    [Fact]
    public void Missing_checkpoint_raises_the_reference_error()
    {
        var node = new CheckpointLoaderSimple();
        var error = Assert.Throws<FileNotFoundException>(() =>
            node.ExecuteAsync(Inputs(("ckpt_name", "nope.safetensors")), _context).AsTask().GetAwaiter().GetResult());
        Assert.Equal("Model in folder 'checkpoints' with filename 'nope.safetensors' not found.", error.Message);
    }

    [Fact]
    public void Pickle_checkpoints_are_refused_before_reading()
    {
        Touch("checkpoints/old.ckpt");
        var node = new CheckpointLoaderSimple();
        Assert.Throws<UnsafeModelFormatException>(() =>
            node.ExecuteAsync(Inputs(("ckpt_name", "old.ckpt")), _context).AsTask().GetAwaiter().GetResult());
    }

    [Fact]
    public void Names_that_climb_out_of_the_folder_are_not_found()
    {
        Touch("vae/inside.safetensors");
        var node = new VAELoader();
        Assert.Throws<FileNotFoundException>(() =>
            node.ExecuteAsync(Inputs(("vae_name", "../vae/../../secret.safetensors")), _context).AsTask().GetAwaiter().GetResult());
    }

    [Fact]
    public void Checkpoint_options_are_the_sorted_files_of_the_folder_including_subfolders()
    {
        Touch("checkpoints/b.safetensors");
        Touch("checkpoints/sub/a.safetensors");
        Touch("checkpoints/notes.txt");
        Assert.Equal(["b.safetensors", "sub/a.safetensors"], CheckpointLoaderSimple.CkptName.GetOptions(_context));
    }

    [Fact]
    public void Vae_options_end_with_complete_tiny_autoencoders_and_pixel_space()
    {
        Assert.Equal(["pixel_space"], VAELoader.VaeName.GetOptions(_context));
        Touch("vae/my_vae.safetensors");
        Touch("vae_approx/taesd_encoder.safetensors");
        Touch("vae_approx/taesd_decoder.safetensors");
        Touch("vae_approx/taesdxl_decoder.safetensors");
        Assert.Equal(["my_vae.safetensors", "taesd", "pixel_space"], VAELoader.VaeName.GetOptions(_context));
    }

    [Fact]
    public void Unet_loader_offers_the_reference_weight_dtypes_and_refuses_fp8()
    {
        Assert.Equal(["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"], UNETLoader.WeightDtype.GetOptions(_context));
        Touch("diffusion_models/u.safetensors");
        var error = Assert.Throws<NotSupportedException>(() => new UNETLoader()
            .ExecuteAsync(Inputs(("unet_name", "u.safetensors"), ("weight_dtype", "fp8_e5m2")), _context).AsTask().GetAwaiter().GetResult());
        Assert.Contains("fp8_e5m2", error.Message);
    }

    [Fact]
    public void Schemas_match_the_catalogue()
    {
        var registry = new NodeRegistry();
        LoaderNodes.Register(registry);
        Assert.True(registry.TryGet("CheckpointLoaderSimple", out var simple));
        Assert.Equal("Load Checkpoint", simple.Schema.DisplayName);
        Assert.Equal("loaders", simple.Schema.Category);
        Assert.Equal(["MODEL", "CLIP", "VAE"], simple.Schema.Outputs.Select(o => o.Type));
        Assert.True(simple.Schema.HasOutputTooltips);
        Assert.True(registry.TryGet("CheckpointLoader", out var withConfig));
        Assert.True(withConfig.Schema.Deprecated);
        Assert.Equal("advanced/loaders", withConfig.Schema.Category);
        Assert.Equal(["config_name", "ckpt_name"], withConfig.Schema.Required.Select(i => i.Name));
        Assert.True(registry.TryGet("VAELoader", out var vae));
        Assert.Equal("Load VAE", vae.Schema.DisplayName);
        Assert.True(registry.TryGet("UNETLoader", out var unet));
        Assert.Equal("Load Diffusion Model", unet.Schema.DisplayName);
        Assert.Equal(["unet_name", "weight_dtype"], unet.Schema.Required.Select(i => i.Name));
    }
}
