using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.UNet;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Checkpoints;

public sealed class DetectionAndStrictLoadingTests
{
    private static Dictionary<string, long[]> GoldenShapes() =>
        GoldenKeys.WithPrefix("").ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    [Fact]
    public void Golden_checkpoint_keys_are_detected_as_sd1()
    {
        var detected = ModelDetection.DetectUNet(GoldenShapes(), ModelDetection.CheckpointUNetPrefix);
        Assert.NotNull(detected);
        Assert.Equal(ModelFamily.Sd1, detected.Family);
        Assert.Equal(UNetConfig.Sd15, detected.UNet);
        Assert.Equal(LatentFormats.Sd15, detected.LatentFormat);
    }

    [Fact]
    public void Bare_unet_keys_are_detected_with_an_empty_prefix()
    {
        var bare = GoldenKeys.WithPrefix("model.diffusion_model.");
        Assert.Equal(ModelFamily.Sd1, ModelDetection.DetectUNet(bare, "")?.Family);
        Assert.Null(ModelDetection.DetectUNet(bare, ModelDetection.CheckpointUNetPrefix));
    }

    [Fact]
    public void A_wider_context_with_linear_projections_is_sd2_and_unknown_shapes_are_refused()
    {
        var shapes = GoldenShapes();
        const string p = ModelDetection.CheckpointUNetPrefix;
        foreach (string key in shapes.Keys.Where(k => k.EndsWith(".attn2.to_k.weight", StringComparison.Ordinal)).ToList())
        {
            shapes[key] = [shapes[key][0], 1024];
        }
        Assert.Null(ModelDetection.DetectUNet(shapes, p));
        shapes[p + "input_blocks.1.1.proj_in.weight"] = [320, 320];
        Assert.Equal(ModelFamily.Sd2, ModelDetection.DetectUNet(shapes, p)?.Family);
        shapes[p + "input_blocks.0.0.weight"] = [256, 4, 3, 3];
        Assert.Null(ModelDetection.DetectUNet(shapes, p));
    }

    private static Dictionary<string, Tensor> Weights(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => ones(p.parameter.shape), StringComparer.Ordinal);

    [Fact]
    public void Strict_loading_copies_every_weight()
    {
        using var scope = NewDisposeScope();
        using var block = new ResBlock(32, 64, 64);
        var weights = Weights(block);
        StrictLoading.Load(block, weights.Keys, k => weights[k].alias(), "block");
        Assert.All(block.parameters(), p => Assert.Equal(1f, p.min().item<float>()));
    }

    [Fact]
    public void Strict_loading_rejects_missing_unexpected_and_misshaped_keys()
    {
        using var scope = NewDisposeScope();
        using var block = new ResBlock(32, 64, 64);
        var weights = Weights(block);

        var missing = weights.Keys.Where(k => k != "out_layers.3.bias").ToList();
        var error = Assert.Throws<WeightMismatchException>(() => StrictLoading.Load(block, missing, k => weights[k].alias(), "block"));
        Assert.Contains("out_layers.3.bias", error.Message);

        var extra = weights.Keys.Append("emb_layers.2.weight").ToList();
        error = Assert.Throws<WeightMismatchException>(() => StrictLoading.Load(block, extra, k => weights[k].alias(), "block"));
        Assert.Contains("1 unexpected key(s) [emb_layers.2.weight]", error.Message);

        weights["in_layers.2.weight"] = ones(64, 32, 1, 1);
        error = Assert.Throws<WeightMismatchException>(() => StrictLoading.Load(block, weights.Keys, k => weights[k].alias(), "block"));
        Assert.Contains("in_layers.2.weight", error.Message);
    }
}
