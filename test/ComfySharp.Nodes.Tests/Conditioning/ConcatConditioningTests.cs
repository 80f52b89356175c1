using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Nodes.Conditioning;
using ComfySharp.Nodes.Tests.ControlNet;
using ComfySharp.Nodes.Tests.Loaders;
using ComfySharp.TestKit;
using Xunit;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Conditioning;

/// <summary>Concat conditioning (c_concat): InstructPix2Pix and inpainting UNets get extra input channels beside the latent.</summary>
public sealed class ConcatConditioningTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDirectory("concat");
    private readonly ModelNodeTestContext _context;

    public ConcatConditioningTests() => _context = new ModelNodeTestContext(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.allclose(b, rtol: 0, atol: 0);

    private static ConditioningEntry Entry(Tensor context, params (string Key, object? Value)[] options) =>
        new(context, options.ToDictionary(o => o.Key, o => o.Value));

    private static UNetModel TinyUNet(int inChannels)
    {
        var unet = new UNetModel(TinyControlNets.Config with { InChannels = inChannels }, ModelPrediction.Epsilon, LatentFormats.Sd15);
        using var generator = new Generator(21);
        using var noGrad = no_grad();
        foreach (var (_, p) in unet.named_parameters())
        {
            p.copy_(randn(p.shape, generator: generator).mul_(tensor(0.1f)));
        }
        return unet;
    }

    [Fact]
    public void An_instruct_pix2pix_unet_sees_the_image_latent_beside_the_scaled_input()
    {
        using var unet = TinyUNet(8);
        Tensor context = randn([1, 3, 16], generator: new Generator(1));
        Tensor image = randn([1, 4, 8, 8], generator: new Generator(2));
        var positive = new Diffusion.Conditioning([Entry(context, (ConcatConditioning.ConcatLatentImage, image))]);
        var sampling = ModelSamplingDiscrete.Epsilon;
        var guider = new CfgGuider(unet, sampling, new CfgRule(positive, positive, 1.0), 8, 8, new ModelCondInputs([1, 4, 8, 8], 0));
        Tensor x = randn([1, 4, 8, 8], generator: new Generator(3));
        Tensor sigma = tensor(new[] { 2.0f });
        Tensor denoised = guider.Predict(x, sigma);

        // ε-prediction: x0 = x − σ·ε(x/√(σ²+1) ‖ image, t(σ)).
        Tensor input = cat([x / tensor(MathF.Sqrt(5f)), image], 1);
        Tensor eps = unet.Forward(input, tensor(new[] { (float)sampling.Timestep(2.0f) }), context);
        Assert.True(denoised.allclose(x - (eps * tensor(2.0f)), rtol: 1e-5, atol: 1e-6));

        // Without the image the UNet gets zeros there.
        var bare = new Diffusion.Conditioning([Entry(context)]);
        Tensor zerosImage = new CfgGuider(unet, sampling, new CfgRule(bare, bare, 1.0), 8, 8, new ModelCondInputs([1, 4, 8, 8], 0)).Predict(x, sigma);
        Tensor epsZeros = unet.Forward(cat([x / tensor(MathF.Sqrt(5f)), zeros(1, 4, 8, 8)], 1), tensor(new[] { (float)sampling.Timestep(2.0f) }), context);
        Assert.True(zerosImage.allclose(x - (epsZeros * tensor(2.0f)), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Concat_images_of_another_size_or_batch_are_fitted_to_the_noise()
    {
        using var unet = TinyUNet(8);
        Tensor image = arange(2 * 4 * 4 * 6, ScalarType.Float32).reshape(2, 4, 4, 6);
        var entry = Entry(zeros(1, 3, 16), (ConcatConditioning.ConcatLatentImage, image));
        Tensor concat = ConcatConditioning.For(unet, entry, new ModelCondInputs([3, 4, 8, 8], 0))!;
        Assert.Equal([3L, 4, 8, 8], concat.shape);
        // Centre crop 4×6 → 4×4 (columns 1..4), bilinear ×2; batch 2 → 3 picks items floor((i + 0.5)·2/3) = 0, 1, 1.
        Tensor cropped = image[.., .., .., 1..5];
        Tensor resized = nn.functional.interpolate(cropped, [8, 8], mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(concat.allclose(resized.index_select(0, tensor(new long[] { 0, 1, 1 })), rtol: 1e-5, atol: 1e-5));

        Assert.True(Same(ConcatConditioning.ResizeToBatch(arange(5), 3), tensor(new long[] { 0, 2, 4 })));
        Assert.True(Same(ConcatConditioning.ResizeToBatch(arange(3), 5), tensor(new long[] { 0, 0, 1, 2, 2 })));
    }

    [Fact]
    public void An_inpainting_unet_gets_the_rounded_mask_and_the_scaled_masked_image()
    {
        using var unet = TinyUNet(9);
        Tensor image = randn([1, 4, 4, 4], generator: new Generator(5));
        Tensor mask = tensor(new[] { 0f, 0.4f, 0.6f, 1f }).view(1, 1, 1, 4).expand(1, 1, 4, 4).contiguous();
        var entry = Entry(zeros(1, 3, 16), (ConcatConditioning.ConcatLatentImage, image), (ConcatConditioning.ConcatMask, mask));
        Tensor concat = ConcatConditioning.For(unet, entry, new ModelCondInputs([1, 4, 4, 4], 0))!;
        Assert.True(Same(concat[.., ..1], tensor(new[] { 0f, 0f, 1f, 1f }).view(1, 1, 1, 4).expand(1, 1, 4, 4)));
        Assert.True(concat[.., 1..].allclose(image * tensor(0.18215f), rtol: 1e-6, atol: 1e-7));

        // No concat image: the sampled latent (already in model space) with the latent's noise mask.
        Tensor latent = randn([1, 4, 4, 4], generator: new Generator(6));
        Tensor noiseMask = ones(1, 4, 4, 4);
        Tensor fromRun = ConcatConditioning.For(unet, Entry(zeros(1, 3, 16)), new ModelCondInputs([1, 4, 4, 4], 0) { LatentImage = latent, DenoiseMask = noiseMask })!;
        Assert.True(Same(fromRun, cat([ones(1, 1, 4, 4), latent], 1)));

        // No mask at all: everything is repainted over a black image.
        Tensor blank = ConcatConditioning.For(unet, Entry(zeros(1, 3, 16)), new ModelCondInputs([2, 4, 4, 4], 0) { LatentImage = latent })!;
        Assert.True(Same(blank[.., 0], ones(2, 4, 4)));
        Assert.Equal([0.8223f, -0.6876f, 0.6364f, 0.1380f], Enumerable.Range(1, 4).Select(c => blank[1, c, 2, 3].item<float>()));
    }

    [Fact]
    public void A_depth_unet_is_refused_with_a_clear_message()
    {
        using var unet = TinyUNet(5);
        var error = Assert.Throws<NotSupportedException>(() => ConcatConditioning.For(unet, Entry(zeros(1, 3, 16)), new ModelCondInputs([1, 4, 4, 4], 0)));
        Assert.Contains("5 input channels", error.Message, StringComparison.Ordinal);
    }

    private static VaeModel TinyVae()
    {
        var network = new AutoencoderKL(new AutoencoderConfig { Channels = 32, ChannelMult = [1, 2], NumResBlocks = 1 });
        using var generator = new Generator(4, CPU);
        using (no_grad())
        {
            foreach (var (_, p) in network.named_parameters())
            {
                p.copy_(randn(p.shape, generator: generator).mul_(tensor(0.2f)));
            }
        }
        return new VaeModel(network);
    }

    private NodeOutput Execute(ComfyNode node, params (InputSpec Spec, object? Value)[] values) =>
        node.ExecuteAsync(new NodeInputs(values.ToDictionary(v => v.Spec.Name, v => v.Value)), _context).AsTask().Result;

    [Fact]
    public void InstructPixToPixConditioning_puts_the_encoded_image_in_both_conditionings_and_returns_zeros()
    {
        VaeModel vae = TinyVae();
        Tensor pixels = rand([1, 7, 9, 3], generator: new Generator(7));
        var c = new Diffusion.Conditioning([Entry(zeros(1, 3, 16))]);
        var outputs = Execute(new InstructPixToPixConditioning(), (InstructPixToPixConditioning.Positive, c), (InstructPixToPixConditioning.Negative, c),
            (InstructPixToPixConditioning.Vae, vae), (InstructPixToPixConditioning.Pixels, pixels)).Values;
        Tensor expected = vae.Encode(pixels[.., 0..6, 0..8]); // 7×9 cut to 6×8 (ratio 2) from offset (0, 0)
        foreach (int i in new[] { 0, 1 })
        {
            var entry = ((Diffusion.Conditioning)outputs[i]!)[0];
            Assert.True(Same((Tensor)entry.Get(ConcatConditioning.ConcatLatentImage)!, expected));
        }
        var latent = (LatentValue)outputs[2]!;
        Assert.True(Same(latent.Samples, zeros_like(expected)));
    }

    [Fact]
    public void InpaintModelConditioning_greys_the_masked_pixels_and_keeps_the_original_latent()
    {
        VaeModel vae = TinyVae();
        Tensor pixels = rand([1, 4, 6, 3], generator: new Generator(8));
        Tensor mask = zeros(1, 2, 3);
        mask[0, 0, 0] = tensor(1f);
        var (prepared, m) = InpaintModelConditioning.Prepare(pixels, mask, 2);
        Assert.Equal([1L, 1, 4, 6], m.shape);
        Tensor keep = m.round().squeeze(1).unsqueeze(-1);
        Assert.True(prepared.allclose((pixels * (1 - keep)) + (keep * 0.5f), rtol: 1e-6, atol: 1e-7));

        var c = new Diffusion.Conditioning([Entry(zeros(1, 3, 16))]);
        var outputs = Execute(new InpaintModelConditioning(), (InpaintModelConditioning.Positive, c), (InpaintModelConditioning.Negative, c),
            (InpaintModelConditioning.Vae, vae), (InpaintModelConditioning.Pixels, pixels), (InpaintModelConditioning.Mask, mask), (InpaintModelConditioning.NoiseMask, false)).Values;
        var entry = ((Diffusion.Conditioning)outputs[1]!)[0];
        Assert.True(Same((Tensor)entry.Get(ConcatConditioning.ConcatLatentImage)!, vae.Encode(prepared)));
        Assert.True(Same((Tensor)entry.Get(ConcatConditioning.ConcatMask)!, m));
        var latent = (LatentValue)outputs[2]!;
        Assert.True(Same(latent.Samples, vae.Encode(pixels)));
        Assert.Null(latent.NoiseMask);
    }
}
