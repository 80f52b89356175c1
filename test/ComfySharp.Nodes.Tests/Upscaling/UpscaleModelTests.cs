using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Upscale;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.Nodes.Tests.Sampling;
using ComfySharp.Nodes.Upscaling;
using ComfySharp.TestKit;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Tests.Upscaling;

public sealed class UpscaleModelTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("upscale");
    private readonly ModelNodeTestContext _context;

    public UpscaleModelTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder => Path.Combine(_root, "models", "upscale_models");

    private UpscaleNetwork Load(string name, Dictionary<string, Tensor> weights)
    {
        UpscaleModelFiles.Write(Folder, name, weights);
        var output = new UpscaleModelLoader().ExecuteAsync(Inputs((UpscaleModelLoader.ModelName, name)), _context).AsTask().Result;
        return Assert.IsAssignableFrom<UpscaleNetwork>(output.Values[0]);
    }

    private static NodeInputs Inputs(params (InputSpec Spec, object Value)[] values) => new(values.ToDictionary(v => v.Spec.Name, v => (object?)v.Value));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static NodeOutput Execute(ComfyNode node, NodeInputs inputs, NodeContext context) => node.ExecuteAsync(inputs, context).AsTask().Result;

    private static Tensor Upscale(UpscaleNetwork network, Tensor image, NodeContext context)
    {
        var output = new ImageUpscaleWithModel().ExecuteAsync(
            Inputs((ImageUpscaleWithModel.UpscaleModel, network), (ImageUpscaleWithModel.Image, image)), context).AsTask().Result;
        return Assert.IsType<Tensor>(output.Values[0], exactMatch: false);
    }

    private static Tensor RandomImage(long height, long width, long batch = 1, long seed = 7)
    {
        using var generator = new Generator((ulong)seed);
        return rand([batch, height, width, 3], generator: generator);
    }

    [Fact]
    public void Compact_net_with_a_zero_last_convolution_reproduces_the_nearest_upscale()
    {
        var network = Load("compact.safetensors", UpscaleModelFiles.Compact(scale: 2, zeroLast: true));
        Assert.IsType<SrvggNetCompact>(network);
        Assert.Equal(2, network.Scale);
        Tensor image = RandomImage(5, 7, batch: 2);
        Tensor result = Upscale(network, image, _context);
        Tensor nearest = image.repeat_interleave(2, 1).repeat_interleave(2, 2);
        Assert.Equal([2L, 10, 14, 3], result.shape);
        Assert.True(Same(result, nearest));
    }

    [Fact]
    public void Compact_net_adds_its_shuffled_body_to_the_nearest_upscale()
    {
        var weights = UpscaleModelFiles.Compact(scale: 4, convolutions: 1, nf: 4);
        var network = Load("compact4.safetensors", weights);
        Tensor image = RandomImage(3, 4);
        Tensor x = image.permute(0, 3, 1, 2);
        // Independent computation: conv → PReLU → conv → PReLU → conv → pixel shuffle, plus the nearest upscale.
        Tensor h = x;
        for (int i = 0; i < 4; i += 2)
        {
            h = F.conv2d(h, weights[$"body.{i}.weight"], weights[$"body.{i}.bias"], padding: [1, 1]);
            h = F.relu(h) - (weights[$"body.{i + 1}.weight"].view(1, -1, 1, 1) * F.relu(h.neg()));
        }
        h = F.pixel_shuffle(F.conv2d(h, weights["body.4.weight"], weights["body.4.bias"], padding: [1, 1]), 4);
        Tensor expected = (h + x.repeat_interleave(4, 2).repeat_interleave(4, 3)).clamp(0.0, 1.0).permute(0, 2, 3, 1);
        Tensor result = Upscale(network, image, _context);
        Assert.True(result.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    public void Esrgan_scale_is_read_from_the_keys(int upsamplings, int scale)
    {
        var network = Load($"esrgan{scale}.safetensors", UpscaleModelFiles.EsrganOld(upsamplings, nb: 1));
        Assert.Equal(scale, network.Scale);
        Assert.Equal("ESRGAN", network.Architecture);
        Tensor result = Upscale(network, RandomImage(4, 6), _context);
        Assert.Equal([1L, 4 * scale, 6 * scale, 3], result.shape);
    }

    [Fact]
    public void Esrgan_old_and_BasicSR_layouts_give_the_same_network()
    {
        var old = UpscaleModelFiles.EsrganOld(2, nb: 2);
        var a = Load("old.safetensors", old);
        var b = Load("new.safetensors", UpscaleModelFiles.ToBasicSr(old, 2, 2));
        Tensor image = RandomImage(6, 5);
        Tensor first = Upscale(a, image, _context);
        Assert.True(Same(first, Upscale(b, image, _context)));
        Assert.True(Same(first, Upscale(a, image, _context)), "the same input gives the same output");
    }

    [Fact]
    public void Esrgan_matches_an_independent_computation_of_the_published_network()
    {
        var w = UpscaleModelFiles.EsrganOld(1, nf: 4, gc: 2, nb: 1);
        var network = Load("esrgan2.safetensors", w);
        Tensor image = RandomImage(4, 3);
        Tensor Conv(Tensor t, string key) => F.conv2d(t, w[key + ".weight"], w[key + ".bias"], padding: [1, 1]);
        Tensor Lrelu(Tensor t) => F.leaky_relu(t, 0.2);
        Tensor x = image.permute(0, 3, 1, 2);
        Tensor fea = Conv(x, "model.0");
        Tensor h = fea;
        for (int r = 1; r <= 3; r++)
        {
            var parts = new List<Tensor> { h };
            for (int c = 1; c <= 4; c++)
            {
                parts.Add(Lrelu(Conv(cat(parts, 1), $"model.1.sub.0.RDB{r}.conv{c}.0")));
            }
            h = (Conv(cat(parts, 1), $"model.1.sub.0.RDB{r}.conv5.0") * tensor(0.2f)) + h;
        }
        h = (h * tensor(0.2f)) + fea;
        h = fea + Conv(h, "model.1.sub.1");
        h = Lrelu(Conv(h.repeat_interleave(2, 2).repeat_interleave(2, 3), "model.3"));
        Tensor expected = Conv(Lrelu(Conv(h, "model.5")), "model.7").clamp(0.0, 1.0).permute(0, 2, 3, 1);
        Tensor result = Upscale(network, image, _context);
        Assert.True(result.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max difference {(result - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Real_esrgan_x2plus_layout_unshuffles_first()
    {
        var old = UpscaleModelFiles.EsrganOld(2, nb: 1, inChannels: 12);
        var network = Load("RealESRGAN_x2plus.safetensors", UpscaleModelFiles.ToBasicSr(old, 2, 1));
        Assert.Equal(2, network.Scale);
        Assert.Equal(3, network.InChannels);
        Assert.Equal([1L, 10, 14, 3], Upscale(network, RandomImage(5, 7), _context).shape);
    }

    [Fact]
    public void Tiles_blend_back_to_the_untiled_result_when_the_network_is_pointwise()
    {
        var network = Load("compact-tiles.safetensors", UpscaleModelFiles.Compact(scale: 2, zeroLast: true));
        Tensor image = RandomImage(100, 150);
        var progress = new List<(long, long)>();
        Tensor tiled = ImageUpscaling.Run(network, image, (done, total) => progress.Add((done, total)), tile: 64, cancellationToken: TestContext.Current.CancellationToken);
        Tensor whole = ImageUpscaling.Run(network, image, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(tiled.allclose(whole, rtol: 0, atol: 1e-6));
        Assert.Equal(ImageUpscaling.TileSteps(150, 100, 64, 32), progress[0].Item2);
        Assert.Equal(Enumerable.Range(1, progress.Count).Select(i => (long)i), progress.Select(p => p.Item1));
        Assert.True(progress.Count > 1);
    }

    [Fact]
    public void A_tile_larger_than_the_image_runs_the_network_once()
    {
        var network = Load("esrgan-once.safetensors", UpscaleModelFiles.EsrganOld(1, nb: 1));
        Tensor image = RandomImage(9, 11);
        var context = new TestNodeContext();
        Tensor result = Upscale(network, image, context);
        Tensor direct = network.Upscale(image.permute(0, 3, 1, 2)).clamp(0.0, 1.0).permute(0, 2, 3, 1);
        Assert.True(Same(result, direct));
        Assert.Equal([(1.0, 1.0)], context.Progress.Select(p => (p.Value, p.Max)));
    }

    [Fact]
    public void A_checkpoint_given_to_the_upscale_loader_is_named_in_the_error()
    {
        UpscaleModelFiles.Write(Folder, "sd.safetensors", new Dictionary<string, Tensor>
        {
            ["model.diffusion_model.input_blocks.0.0.weight"] = zeros(4, 4, 3, 3),
        });
        var error = Assert.ThrowsAny<Exception>(() => Execute(new UpscaleModelLoader(), Inputs((UpscaleModelLoader.ModelName, "sd.safetensors")), _context));
        var inner = Assert.IsType<UnsupportedUpscaleModelException>(error is AggregateException agg ? agg.InnerException : error);
        Assert.Contains("Stable Diffusion checkpoint", inner.Message, StringComparison.Ordinal);
        Assert.Contains("sd.safetensors", inner.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(512, 512, 1.0, 1, 1024, 1024)]
    [InlineData(640, 480, 0.5, 8, 840, 624)]
    [InlineData(100, 100, 0.01, 1, 102, 102)]
    public void Total_pixels_size_follows_the_reference(long w, long h, double mp, long steps, long ew, long eh) =>
        Assert.Equal((ew, eh), ImageScaleToTotalPixels.TargetSize(w, h, mp, steps));

    [Theory]
    [InlineData(300, 200, 512, 512, 341)]
    [InlineData(200, 300, 512, 341, 512)]
    [InlineData(64, 64, 100, 100, 100)]
    public void Max_dimension_size_follows_the_reference(long w, long h, long largest, long ew, long eh) =>
        Assert.Equal((ew, eh), ImageScaleToMaxDimension.TargetSize(w, h, largest));

    [Fact]
    public void Scale_to_max_dimension_resizes_the_image()
    {
        Tensor image = RandomImage(20, 30);
        var output = Execute(new ImageScaleToMaxDimension(),
            Inputs((ImageScaleToMaxDimension.Image, image), (ImageScaleToMaxDimension.UpscaleMethod, "nearest-exact"), (ImageScaleToMaxDimension.LargestSize, 60L)), _context);
        Tensor result = (Tensor)output.Values[0]!;
        Assert.True(Same(result, image.repeat_interleave(2, 1).repeat_interleave(2, 2)));
    }
}
