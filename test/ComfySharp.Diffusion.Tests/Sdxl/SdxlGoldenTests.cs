using System.Security.Cryptography;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Previews;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.Tests.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Diffusion.Tests.Sdxl;

/// <summary>
/// golden sdxl/02, 05, 06, 07, 08 on the regenerated random SDXL checkpoint, loaded once for the collection.
/// Tolerances of golden README §8: conds/pooled/y and one UNet call rel 1e-4, sampler steps and samples rel 5e-4,
/// images abs 1e-3, 8-bit pixels at most 2 levels apart on at most 5% of the values.
/// </summary>
[Collection(SdxlCheckpointCollection.Name)]
public sealed class SdxlGoldenTests(SdxlCheckpointFixture fixture)
{
    private const double CondTolerance = 1e-4;

    private static string Golden(params string[] parts) => Path.Combine([TestPaths.Shared, "golden", "sdxl", .. parts]);

    private ClipModel Clip => fixture.Checkpoint.Clip!;

    [Fact]
    public void The_regenerated_file_has_the_golden_sha256()
    {
        using FileStream stream = File.OpenRead(fixture.Path);
        Assert.Equal("53162a81db9e2795be0bd5a3b5074f43cf18f651b1d342d00dc0794dd2778517", Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    [Fact]
    public void Checkpoint_is_detected_as_sdxl_eps_with_its_latent_format_and_towers()
    {
        DetectedModel detected = fixture.Checkpoint.Detected;
        Assert.Equal(ModelFamily.Sdxl, detected.Family);
        Assert.Equal(ModelPrediction.Epsilon, detected.Prediction);
        Assert.Equal(0.13025, detected.LatentFormat.ScaleFactor);
        Assert.Equal([0, 2, 10], detected.UNet.TransformerDepth);
        Assert.Equal(10, detected.UNet.TransformerDepthMiddle);
        Assert.Equal(2816, detected.UNet.AdmInChannels);
        Assert.True(detected.UNet.UseLinearInTransformer);
        Assert.Equal(ClipKind.Sdxl, Clip.Kind);
        Assert.Equal(["l", "g"], Clip.Towers.Select(t => t.Name));
        Assert.Equal([12, 32], Clip.Towers.Select(t => t.Encoder.Config.Layers));
    }

    [Theory]
    [InlineData("default_positive", "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,")]
    [InlineData("default_negative", "text, watermark")]
    public void Clip_text_encode_matches_cond_and_pooled(string file, string text)
    {
        using var scope = NewDisposeScope();
        (Tensor cond, Tensor pooled) = Clip.EncodeTokens(Clip.Tokenize(text));
        using var golden = SafeTensorsFile.Open(Golden("02_clip_encode", file + ".safetensors"));
        AssertRel(golden.Load("cond"), cond, CondTolerance, "cond");
        AssertRel(golden.Load("pooled_output"), pooled, CondTolerance, "pooled");
        // CLIPSetLastLayer(-2) changes nothing: both towers already read layer -2.
        (Tensor skip, _) = Clip.WithClipLayer(-2).EncodeTokens(Clip.Tokenize(text));
        TensorAssert.Identical(cond, skip);
    }

    [Theory]
    [InlineData("sdxl_node_weighted_sizes", "(red:1.3) cat, ((blue)) sky, [dog]", "a (photo:0.8) of a (cat:1.2)", 832, 1216, 16, 32, 1024, 768)]
    [InlineData("sdxl_node_g_longer", LongPrompt, "a castle on a cliff", 1024, 1024, 0, 0, 1024, 1024)]
    public void Clip_text_encode_sdxl_matches_cond_pooled_and_adm(string file, string textG, string textL,
        int width, int height, int cropW, int cropH, int targetWidth, int targetHeight)
    {
        using var scope = NewDisposeScope();
        TokenizedPrompt tokens = ClipModel.FromTowers(new Dictionary<string, TokenizedPrompt>
        {
            ["l"] = Clip.TokenizeTower("l", textL),
            ["g"] = Clip.TokenizeTower("g", textG),
        });
        (Tensor cond, Tensor pooled) = Clip.EncodeTokens(tokens);
        using var golden = SafeTensorsFile.Open(Golden("02_clip_encode", file + ".safetensors"));
        AssertRel(golden.Load("cond"), cond, CondTolerance, "cond");
        AssertRel(golden.Load("pooled_output"), pooled, CondTolerance, "pooled");
        var entry = new ConditioningEntry(cond, new Dictionary<string, object?>
        {
            [ConditioningKeys.PooledOutput] = pooled,
            [AdmEncoding.Width] = (long)width,
            [AdmEncoding.Height] = (long)height,
            [AdmEncoding.CropW] = (long)cropW,
            [AdmEncoding.CropH] = (long)cropH,
            [AdmEncoding.TargetWidth] = (long)targetWidth,
            [AdmEncoding.TargetHeight] = (long)targetHeight,
        });
        // The sizes in the conditioning win over the latent's (8x8 here).
        AssertRel(golden.Load("adm_y"), AdmEncoding.Encode(2816, entry, 8, 8)!, CondTolerance, "adm_y");
    }

    [Fact]
    public void One_unet_evaluation_with_y_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        using var golden = SafeTensorsFile.Open(Golden("05_unet", "single.safetensors"));
        Tensor x = golden.Load("x");
        Tensor sigma = golden.Load("sigma");
        var sampling = ModelSamplingDiscrete.Epsilon;
        Tensor timestep = sampling.Timestep(sigma).to_type(ScalarType.Float32);
        TensorAssert.Identical(golden.Load("timestep"), timestep);
        Tensor xc = ModelSamplingDiscrete.CalculateInput(sigma, x);
        AssertRel(golden.Load("xc"), xc, 1e-6, "xc");
        // y from the golden pooled output for a 64x64 image (no sizes in a CLIPTextEncode conditioning).
        using var positive = SafeTensorsFile.Open(Golden("02_clip_encode", "default_positive.safetensors"));
        var entry = new ConditioningEntry(positive.Load("cond"), new Dictionary<string, object?> { [ConditioningKeys.PooledOutput] = positive.Load("pooled_output") });
        Tensor y = AdmEncoding.Encode(2816, entry, 8, 8)!;
        AssertRel(golden.Load("y"), y, 1e-5, "y");
        UNetModel unet = fixture.Checkpoint.UNet!;
        foreach (string suffix in new[] { "", "_1024" })
        {
            Tensor yy = golden.Load("y" + suffix);
            Tensor eps = unet.Forward(xc, timestep, golden.Load("c_crossattn"), yy);
            Tensor denoised = sampling.CalculateDenoised(sigma, eps, x);
            AssertRel(golden.Load("eps" + suffix), eps, 1e-4, "eps" + suffix);
            AssertRel(golden.Load("denoised" + suffix), denoised, 1e-4, "denoised" + suffix);
        }
    }

    [Fact]
    public void Vae_decode_and_latent2rgb_with_bias_match_the_reference()
    {
        using var scope = NewDisposeScope();
        using var golden = SafeTensorsFile.Open(Golden("06_vae", "decode.safetensors"));
        Tensor image = fixture.Checkpoint.Vae!.Decode(golden.Load("latent"));
        Assert.True(GoldenTensors.Absolute(image, golden.Load("image")) <= 1e-3);
        TensorAssert.Identical(golden.Load("latent_internal"), golden.Load("latent").Mul(fixture.Checkpoint.Detected.LatentFormat.ScaleFactor));

        using var preview = SafeTensorsFile.Open(Golden("08_latent2rgb", "preview.safetensors"));
        LatentFormat format = fixture.Checkpoint.Detected.LatentFormat;
        AssertRel(preview.Load("rgb"), LatentPreview.Latent2RgbFloat(preview.Load("x0"), format), 1e-5, "rgb");
        float[] expected = preview.Load("image_u8").data<float>().ToArray();
        byte[] pixels = LatentPreview.Latent2Rgb(preview.Load("x0"), format).Pixels;
        Assert.Equal(expected.Length, pixels.Length);
        Assert.All(Enumerable.Range(0, expected.Length), i => Assert.InRange(Math.Abs(expected[i] - pixels[i]), 0, 1));
    }

    [Theory]
    [InlineData("07a_txt2img_euler_normal", "euler", "normal", 4, 8, 8)]
    [InlineData("07b_txt2img_dpmpp_2m_karras_64x96", "dpmpp_2m", "karras", 3, 12, 8)]
    public void Txt2img_matches_the_reference(string folder, string sampler, string scheduler, int steps, int latentHeight, int latentWidth)
    {
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> golden = LoadAll(Golden(folder, "result.safetensors"));
        using var positive = SafeTensorsFile.Open(Golden("02_clip_encode", "default_positive.safetensors"));
        using var negative = SafeTensorsFile.Open(Golden("02_clip_encode", "default_negative.safetensors"));
        Conditioning Cond(SafeTensorsFile file, string name)
        {
            AssertRel(golden[name + "_pooled"], file.Load("pooled_output"), 0, name + "_pooled");
            var entry = new ConditioningEntry(file.Load("cond"), new Dictionary<string, object?> { [ConditioningKeys.PooledOutput] = file.Load("pooled_output") });
            AssertRel(golden[name + "_y"], AdmEncoding.Encode(2816, entry, latentHeight, latentWidth)!, 1e-5, name + "_y");
            return [entry];
        }
        var seenX = new List<Tensor>();
        var seenDenoised = new List<Tensor>();
        var settings = new KSamplerSettings
        {
            Model = fixture.Checkpoint.Model!,
            Seed = 42,
            Steps = steps,
            Cfg = 8.0,
            SamplerName = sampler,
            Scheduler = scheduler,
            Positive = Cond(positive, "positive"),
            Negative = Cond(negative, "negative"),
            Latent = new LatentValue(zeros(1, 4, latentHeight, latentWidth)),
        };
        LatentValue result = KSamplerRun.Run(settings, p =>
        {
            seenX.Add(p.X.clone().DetachFromDisposeScope());
            seenDenoised.Add(p.Denoised.clone().DetachFromDisposeScope());
        }, TestContext.Current.CancellationToken);
        Assert.Equal(steps, seenX.Count);
        for (int k = 0; k < steps; k++)
        {
            AssertRel(golden["steps_x"][k], seenX[k], 5e-4, $"steps_x[{k}]");
            AssertRel(golden["steps_denoised"][k], seenDenoised[k], 5e-4, $"steps_denoised[{k}]");
        }
        AssertRel(golden["samples"], result.Samples, 5e-4, "samples");
        Tensor image = fixture.Checkpoint.Vae!.Decode(result.Samples);
        Assert.True(GoldenTensors.Absolute(image, golden["image"]) <= 1e-3);
        Tensor u8 = image.Mul(255).Clamp(0, 255).to_type(ScalarType.Byte).to_type(ScalarType.Float32);
        Tensor diff = (u8 - golden["image_u8"]).abs();
        Assert.True(diff.max().item<float>() <= 2, $"u8 max diff {diff.max().item<float>()}");
        Assert.True(diff.gt(0).to_type(ScalarType.Float32).mean().item<float>() <= 0.05);
    }

    private const string LongPrompt = "A highly detailed digital painting of an ancient castle on a cliff above a stormy sea, dramatic lighting, volumetric clouds, crashing waves, seagulls flying, moss covered stone walls, tall towers with red banners, a winding path leading to the gate, lanterns glowing in the windows, cinematic composition, wide angle, golden hour, trending on artstation, sharp focus, intricate details, 8k resolution, masterpiece, by a famous fantasy illustrator";

    private static Dictionary<string, Tensor> LoadAll(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return file.Keys.ToDictionary(k => k, k => file.Load(k), StringComparer.Ordinal);
    }

    private static void AssertRel(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double rel = TensorAssert.MaxRelativeError(expected, actual);
        Assert.True(rel <= tolerance, $"{what}: rel error {rel:E2} > {tolerance:E0}");
    }
}
