using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Previews;
using ComfySharp.Nodes.Sampling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>
/// TAESD live previews: a decoder file with deterministic random weights (about 5 MB, written at test
/// time into a temporary <c>vae_approx</c> folder), its network, and which previewer KSampler picks.
/// </summary>
public sealed class TaesdPreviewTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("comfysharp-taesd");

    private string VaeApprox => Path.Combine(_root, "models", "vae_approx");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void WriteDecoder(string path, ulong seed, float[]? constantRgb = null)
    {
        if (constantRgb is null)
        {
            RandomTaesdDecoder.Write(path, seed);
        }
        else
        {
            RandomTaesdDecoder.WriteConstant(path, constantRgb);
        }
    }

    private static (double Value, double Max, PreviewImage? Preview)[] RunKSampler(TestNodeContext context)
    {
        ConditioningValue Cond(float value) => [new ConditioningEntry(full(1, 77, 8, value), new Dictionary<string, object?>())];
        var values = new Dictionary<string, object?>
        {
            ["model"] = new ModelPatcher(new FakeNetwork()), ["seed"] = 5L, ["steps"] = 2L, ["cfg"] = 4.0, ["sampler_name"] = "euler",
            ["scheduler"] = "normal", ["positive"] = Cond(1f), ["negative"] = Cond(-1f), ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)), ["denoise"] = 1.0,
        };
        _ = new KSampler().ExecuteAsync(new NodeInputs(values), context).AsTask().Result;
        return [.. context.Progress];
    }

    private static PixelBuffer DecodeJpeg(PreviewImage? preview)
    {
        Assert.NotNull(preview);
        Assert.Equal(PreviewFormat.Jpeg, preview!.Format);
        return ImageDecoder.Decode(preview.Data.ToArray(), 1 << 22).Frames[0].Rgba.WithChannels(3);
    }

    [Fact]
    public void Expected_tensors_follow_the_published_decoder_layout()
    {
        var expected = TaesdDecoder.ExpectedTensors();
        // conv(4→64) + 10 blocks × 3 convs with bias, 3 bias-free upsample convs, conv(64→3).
        Assert.Equal(2 + (10 * 6) + 3 + 2, expected.Count);
        Assert.Equal(1_222_531, expected.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Contains(expected, e => e.Key == "1.weight" && e.Shape.SequenceEqual([64L, 4, 3, 3]));
        Assert.Contains(expected, e => e.Key == "3.conv.4.bias");
        Assert.Contains(expected, e => e.Key == "7.weight");
        Assert.DoesNotContain(expected, e => e.Key == "7.bias");
        Assert.Contains(expected, e => e.Key == "18.conv.0.weight");
        Assert.Contains(expected, e => e.Key == "19.weight" && e.Shape.SequenceEqual([3L, 64, 3, 3]));
    }

    [Fact]
    public void Random_decoder_turns_an_8x8_latent_into_a_64x64_image_and_its_preview_bytes()
    {
        string path = Path.Combine(VaeApprox, RandomTaesdDecoder.FileName);
        WriteDecoder(path, seed: 11);
        Assert.InRange(new FileInfo(path).Length, 4_500_000, 5_500_000);
        using var scope = NewDisposeScope();
        using TaesdDecoder decoder = TaesdDecoder.Load(path);
        Assert.Equal(1_222_531L * 4, decoder.WeightBytes);

        var generator = new TorchSharp.torch.Generator(3);
        Tensor latent = randn(new long[] { 2, 4, 8, 8 }, generator: generator);
        Tensor decoded = decoder.Decode(latent);
        Assert.Equal([2L, 3, 64, 64], decoded.shape);
        Assert.True(decoded.isfinite().all().item<bool>());
        Assert.True(decoded.std().item<float>() > 1e-3, "the random decoder should not paint a flat image");
        Assert.False(decoded[0].allclose(decoded[1]), "different latents must decode differently");

        // The preview is item 0 only: ((2 (y − 0.5)) + 1) / 2 clamped to 0..1, ×255, truncated.
        PixelBuffer preview = decoder.Preview(latent);
        Assert.Equal((64, 64, 3), (preview.Width, preview.Height, preview.Channels));
        byte[] expected = decoded[0].permute(1, 2, 0).clamp(0, 1).mul(255).to_type(ScalarType.Byte).contiguous().data<byte>().ToArray();
        int off = expected.Zip(preview.Pixels, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(off <= 1, $"preview bytes differ from the clamped decoder output by {off}");
        Assert.True(preview.Pixels.Distinct().Count() > 16, "preview bytes should span a range of values");

        // Large latents saturate the soft clamp (tanh(x / 3) · 3) instead of blowing up.
        Tensor huge = decoder.Decode(latent * 1e6f);
        Assert.True(huge.isfinite().all().item<bool>());
    }

    [Fact]
    public void Loading_is_strict_about_keys_and_shapes()
    {
        string good = Path.Combine(VaeApprox, RandomTaesdDecoder.FileName);
        WriteDecoder(good, seed: 1);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> tensors;
        using (var file = SafeTensorsFile.Open(good))
        {
            tensors = file.LoadWithPrefix("");
        }

        string missing = Path.Combine(_root, "missing.safetensors");
        SafeTensorsWriter.Write(missing, tensors.Where(t => t.Key != "7.weight"));
        Assert.Contains("1 missing key(s) [7.weight]", Assert.Throws<WeightMismatchException>(() => TaesdDecoder.Load(missing)).Message);

        string extra = Path.Combine(_root, "extra.safetensors");
        SafeTensorsWriter.Write(extra, tensors.Append(new("7.bias", zeros(64))));
        Assert.Contains("1 unexpected key(s) [7.bias]", Assert.Throws<WeightMismatchException>(() => TaesdDecoder.Load(extra)).Message);

        string reshaped = Path.Combine(_root, "reshaped.safetensors");
        SafeTensorsWriter.Write(reshaped, tensors.Select(t => t.Key == "1.weight" ? new KeyValuePair<string, Tensor>(t.Key, zeros(64, 16, 3, 3)) : t));
        Assert.Contains("'1.weight' has shape [64, 16, 3, 3]", Assert.Throws<WeightMismatchException>(() => TaesdDecoder.Load(reshaped)).Message);
    }

    [Fact]
    public void Taesd_method_previews_through_the_decoder_in_vae_approx()
    {
        // A decoder that paints one colour everywhere: latent2rgb could never give this flat picture.
        float[] rgb = [0.9f, 0.2f, 0.6f];
        WriteDecoder(Path.Combine(VaeApprox, RandomTaesdDecoder.FileName), seed: 0, constantRgb: rgb);
        var context = new TestNodeContext("taesd", TestNodeContext.WithModelFolders(_root));
        var progress = RunKSampler(context);
        Assert.Equal([1.0, 2.0], progress.Select(p => p.Value));
        foreach (var (_, _, preview) in progress)
        {
            PixelBuffer shown = DecodeJpeg(preview);
            Assert.Equal((512, 512), (shown.Width, shown.Height));
            for (int c = 0; c < 3; c++)
            {
                int expected = (int)(rgb[c] * 255);
                double mean = Enumerable.Range(0, shown.Width * shown.Height).Average(i => (double)shown.Pixels[(i * 3) + c]);
                Assert.InRange(mean, expected - 3, expected + 3);
            }
        }
    }

    [Fact]
    public void Taesd_previews_with_random_weights_match_the_decoder_not_latent2rgb()
    {
        string path = Path.Combine(VaeApprox, RandomTaesdDecoder.FileName);
        WriteDecoder(path, seed: 21);
        var context = new TestNodeContext("taesd", TestNodeContext.WithModelFolders(_root));
        var progress = RunKSampler(context);
        PixelBuffer shown = DecodeJpeg(progress[^1].Preview);

        // The same run with latent2rgb previews: the same denoised latents, another picture.
        var latent2rgb = RunKSampler(new TestNodeContext("latent2rgb"));
        PixelBuffer shownLatent2rgb = DecodeJpeg(latent2rgb[^1].Preview);
        Assert.Equal((shown.Width, shown.Height), (shownLatent2rgb.Width, shownLatent2rgb.Height));
        double apart = shown.Pixels.Zip(shownLatent2rgb.Pixels, (a, b) => (double)Math.Abs(a - b)).Average();
        Assert.True(apart > 10, $"the TAESD preview should not look like the latent2rgb one (mean difference {apart:F1})");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("latent2rgb")]
    public void Auto_and_latent2rgb_keep_latent2rgb_even_with_a_decoder_present(string method)
    {
        // FILES.md: "auto" is latent2rgb on this server; only "taesd" asks for the tiny decoder.
        WriteDecoder(Path.Combine(VaeApprox, RandomTaesdDecoder.FileName), seed: 0, constantRgb: [0.9f, 0.2f, 0.6f]);
        var withDecoder = RunKSampler(new TestNodeContext(method, TestNodeContext.WithModelFolders(_root)));
        var without = RunKSampler(new TestNodeContext("latent2rgb"));
        Assert.Equal(without.Select(p => p.Preview!.Data.ToArray()), withDecoder.Select(p => p.Preview!.Data.ToArray()));
    }

    [Fact]
    public void Taesd_method_falls_back_to_latent2rgb_without_a_usable_decoder()
    {
        var latent2rgb = RunKSampler(new TestNodeContext("latent2rgb"));

        var none = RunKSampler(new TestNodeContext("taesd", TestNodeContext.WithModelFolders(_root)));
        Assert.Equal(latent2rgb.Select(p => p.Preview!.Data.ToArray()), none.Select(p => p.Preview!.Data.ToArray()));

        // A broken file (another family's key layout) is skipped rather than failing the sampler.
        Directory.CreateDirectory(VaeApprox);
        using (var scope = NewDisposeScope())
        {
            SafeTensorsWriter.Write(Path.Combine(VaeApprox, RandomTaesdDecoder.FileName), [new("decoder.conv_in.weight", zeros(4, 4))]);
        }
        var broken = RunKSampler(new TestNodeContext("taesd", TestNodeContext.WithModelFolders(_root)));
        Assert.Equal(latent2rgb.Select(p => p.Preview!.Data.ToArray()), broken.Select(p => p.Preview!.Data.ToArray()));
    }

    [Fact]
    public void Latent_formats_name_their_taesd_decoders()
    {
        Assert.Equal("taesd_decoder", LatentFormats.Sd15.TaesdDecoderName);
        Assert.Equal("taesdxl_decoder", LatentFormats.Sdxl.TaesdDecoderName);
    }
}
