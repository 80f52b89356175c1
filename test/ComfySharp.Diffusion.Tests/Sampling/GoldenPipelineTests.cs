using ComfySharp.Diffusion.Previews;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.Tests.Checkpoints;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Diffusion.Tests.Sampling;

/// <summary>
/// 07a/07b/07c end to end from the reference's CLIPTextEncode outputs: KSampler with the real
/// (regenerated) checkpoint, then VAEDecode and SaveImage's 8-bit conversion.
/// </summary>
[Collection(Sd15CheckpointCollection.Name)]
public sealed class GoldenPipelineTests(Sd15CheckpointFixture fixture)
{
    [Theory]
    [InlineData("07a_txt2img_euler_normal", "euler", "normal")]
    [InlineData("07b_txt2img_euler_ancestral_normal", "euler_ancestral", "normal")]
    [InlineData("07c_txt2img_dpmpp_2m_karras", "dpmpp_2m", "karras")]
    public void Txt2img_matches_the_reference(string folder, string sampler, string scheduler)
    {
        using var scope = NewDisposeScope();
        var golden = GoldenTensors.Load(folder, "result.safetensors");
        Conditioning Cond(string name) =>
        [
            new ConditioningEntry(golden[name + "_cond"], new Dictionary<string, object?> { [ConditioningKeys.PooledOutput] = golden[name + "_pooled"] }),
        ];
        var seenX = new List<Tensor>();
        var seenDenoised = new List<Tensor>();
        var settings = new KSamplerSettings
        {
            Model = fixture.Checkpoint.Model!,
            Seed = 42,
            Steps = 3,
            Cfg = 8.0,
            SamplerName = sampler,
            Scheduler = scheduler,
            Positive = Cond("positive"),
            Negative = Cond("negative"),
            Latent = new LatentValue(zeros(1, 4, 8, 8)),
        };
        var progress = new List<(int Step, int Total)>();
        LatentValue result = KSamplerRun.Run(settings, p =>
        {
            progress.Add((p.Step, p.TotalSteps));
            seenX.Add(p.X.clone().DetachFromDisposeScope());
            seenDenoised.Add(p.Denoised.clone().DetachFromDisposeScope());
        }, TestContext.Current.CancellationToken);

        Assert.Equal([(0, 3), (1, 3), (2, 3)], progress);
        for (int k = 0; k < 3; k++)
        {
            double relX = GoldenTensors.Relative(seenX[k], golden["steps_x"][k]);
            double relD = GoldenTensors.Relative(seenDenoised[k], golden["steps_denoised"][k]);
            Assert.True(relX <= 5e-4, $"steps_x[{k}] rel {relX:E2}");
            Assert.True(relD <= 5e-4, $"steps_denoised[{k}] rel {relD:E2}");
        }
        double relSamples = GoldenTensors.Relative(result.Samples, golden["samples"]);
        Assert.True(relSamples <= 5e-4, $"samples rel {relSamples:E2}");

        Tensor image = fixture.Checkpoint.Vae!.Decode(result.Samples);
        double absImage = GoldenTensors.Absolute(image, golden["image"]);
        Assert.True(absImage <= 1e-3, $"image abs {absImage:E2}");
        Tensor u8 = (image * 255).clamp(0, 255).to_type(ScalarType.Byte).to_type(ScalarType.Float32);
        Tensor diff = (u8 - golden["image_u8"]).abs();
        Assert.True(diff.max().item<float>() <= 2, $"u8 max diff {diff.max().item<float>()}");
        double differing = diff.gt(0).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(differing <= 0.05, $"u8 differing fraction {differing}");
    }

    [Fact]
    public void Latent2rgb_preview_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        var golden = GoldenTensors.Load("08_latent2rgb", "preview.safetensors");
        var format = fixture.Checkpoint.Detected.LatentFormat;
        Tensor rgb = LatentPreview.Latent2RgbFloat(golden["x0"], format);
        Assert.True(GoldenTensors.Relative(rgb, golden["rgb"]) <= 1e-5);
        var pixels = LatentPreview.Latent2Rgb(golden["x0"], format);
        float[] expected = golden["image_u8"].data<float>().ToArray();
        Assert.Equal(expected.Length, pixels.Pixels.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - pixels.Pixels[i]) <= 1, $"pixel {i}: {pixels.Pixels[i]} vs {expected[i]}");
        }
    }
}
