using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Diffusion.Tests.Sdxl;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Sd2CheckpointCollection
{
    public const string Name = "SD2 checkpoint";
}

/// <summary>
/// A random SD 2.x checkpoint built by the golden value rule (<see cref="RandomSd2Checkpoint"/>; no reference data
/// exists for it): detection, strict loading of the OpenCLIP ViT-H tower, and 768-v sampling that is finite and
/// deterministic.
/// </summary>
[Collection(Sd2CheckpointCollection.Name)]
public sealed class Sd2CheckpointTests
{
    [Fact]
    public void Random_sd2_checkpoint_loads_and_v_prediction_sampling_is_finite_and_deterministic()
    {
        string path = RandomSd2Checkpoint.EnsureFile();
        using IDisposable heavy = HeavyModelLock.Acquire();
        LoadedCheckpoint checkpoint = CheckpointLoading.LoadCheckpoint(path, new ComputeOptions { Device = DevicePreference.Cpu });
        try
        {
            Assert.Equal(ModelFamily.Sd2, checkpoint.Detected.Family);
            // The reference's rule reads v-prediction from a norm bias's spread; the value rule makes every bias 0,
            // so this file is the 512 (ε) variant, and the 768-v run below sets v-prediction as ModelSamplingDiscrete does.
            Assert.Equal(ModelPrediction.Epsilon, checkpoint.Detected.Prediction);
            Assert.Equal(1024, checkpoint.Detected.UNet.ContextDim);
            Assert.Equal(0.18215, checkpoint.Detected.LatentFormat.ScaleFactor);
            ClipModel clip = checkpoint.Clip!;
            Assert.Equal(ClipKind.Sd2, clip.Kind);
            Assert.Equal(24, clip.Encoder.Config.Layers);
            Assert.False(clip.Encoder.Config.QuickGelu);

            using var scope = NewDisposeScope();
            Conditioning positive = clip.EncodeToConditioning("a photo of a cat");
            Conditioning negative = clip.EncodeToConditioning("");
            Assert.Equal([1, 77, 1024], positive[0].Embedding.shape);
            ModelPatcher model = checkpoint.Model!.WithSampling(new ModelSamplingDiscrete(ModelPrediction.Velocity));
            Tensor Run() => KSamplerRun.Run(new KSamplerSettings
            {
                Model = model,
                Seed = 7,
                Steps = 2,
                Cfg = 7.0,
                SamplerName = "euler",
                Scheduler = "normal",
                Positive = positive,
                Negative = negative,
                Latent = new LatentValue(zeros(1, 4, 8, 8)),
            }, null, TestContext.Current.CancellationToken).Samples;
            Tensor first = Run();
            Tensor second = Run();
            Assert.True(first.isfinite().all().item<bool>());
            TensorAssert.Identical(first, second);
            Tensor image = checkpoint.Vae!.Decode(first);
            Assert.Equal([1, 64, 64, 3], image.shape);
            Assert.True(image.isfinite().all().item<bool>());
        }
        finally
        {
            checkpoint.UNet?.Dispose();
            checkpoint.Vae?.Dispose();
            checkpoint.Clip?.DisposeEncoders();
        }
    }

    [Fact]
    public void Sd2_v_prediction_follows_the_reference_norm_bias_rule()
    {
        var shapes = RandomSd2Checkpoint.Checkpoint.Tensors.ToDictionary(t => t.Key, t => t.Shape, StringComparer.Ordinal);
        const string p = ModelDetection.CheckpointUNetPrefix;
        using var scope = NewDisposeScope();
        Tensor Spread(string key) => key.EndsWith("output_blocks.11.1.transformer_blocks.0.norm1.bias", StringComparison.Ordinal)
            ? linspace(-1, 1, 320) : zeros(320);
        Assert.Equal(ModelPrediction.Velocity, ModelDetection.DetectUNet(shapes, p, Spread)!.Prediction);
        Assert.Equal(ModelPrediction.Epsilon, ModelDetection.DetectUNet(shapes, p, _ => zeros(320))!.Prediction);
        DetectedModel sdxl = ModelDetection.DetectUNet(RandomSdxlCheckpoint.Checkpoint.Tensors.ToDictionary(t => t.Key, t => t.Shape), p)!;
        Assert.Equal(ModelFamily.Sdxl, sdxl.Family);
        var vpred = RandomSdxlCheckpoint.Checkpoint.Tensors.ToDictionary(t => t.Key, t => t.Shape);
        vpred["v_pred"] = [];
        vpred["ztsnr"] = [];
        DetectedModel marked = ModelDetection.DetectUNet(vpred, p)!;
        Assert.Equal(ModelPrediction.Velocity, marked.Prediction);
        Assert.True(marked.ZeroTerminalSnr);
    }

    [Fact]
    public void An_unsupported_architecture_is_named_in_the_error()
    {
        var shapes = RandomSdxlCheckpoint.Checkpoint.Tensors.ToDictionary(t => t.Key, t => t.Shape);
        const string p = ModelDetection.CheckpointUNetPrefix;
        shapes[p + "label_emb.0.0.weight"] = [1280, 1536];
        Assert.Null(ModelDetection.DetectUNet(shapes, p));
        string description = ModelDetection.Describe(shapes, p);
        Assert.Contains("context 2048", description, StringComparison.Ordinal);
        Assert.Contains("adm (label_emb) 1536", description, StringComparison.Ordinal);
        Assert.Contains("Flux", ModelDetection.Describe(new Dictionary<string, long[]> { ["double_blocks.0.img_attn.qkv.weight"] = [9, 3] }, p), StringComparison.Ordinal);
    }
}
