using ComfySharp.Diffusion.Vae;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Vae;

public sealed class VaeStructureTests
{
    [Fact]
    public void Parameters_are_exactly_the_first_stage_model_keys_with_their_shapes()
    {
        var expected = GoldenKeys.WithPrefix("first_stage_model.");
        using var vae = new AutoencoderKL(AutoencoderConfig.Sd);
        var actual = vae.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        Assert.Equal(248, expected.Count);
        Assert.Empty(expected.Keys.Except(actual.Keys));
        Assert.Empty(actual.Keys.Except(expected.Keys));
        foreach (var (key, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(actual[key]), key);
        }
    }

    [Fact]
    public void Encode_centre_crops_to_multiples_of_8()
    {
        using var image = arange(1 * 21 * 18 * 3, ScalarType.Float32).reshape(1, 21, 18, 3);
        using var cropped = VaeModel.CropToMultiple(image, 8);
        Assert.Equal([1L, 16, 16, 3], cropped.shape);
        // 21 rows: offset (21 % 8) / 2 = 2; 18 columns: offset 1.
        Assert.Equal(image[0, 2, 1, 0].item<float>(), cropped[0, 0, 0, 0].item<float>());
    }

    [Fact]
    public void Tiling_an_identity_like_function_reproduces_the_input()
    {
        // A function that upsamples by 2 (nearest) has no seams, so blending tiles must give it back exactly.
        using var input = rand(1, 2, 20, 28);
        Tensor Up(Tensor t) => nn.functional.interpolate(t, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        using var whole = Up(input);
        using var tiled = TiledScale.Apply(input, Up, tileX: 8, tileY: 12, overlap: 2, scale: 2, outChannels: 2, TestContext.Current.CancellationToken);
        Assert.Equal(whole.shape, tiled.shape);
        Assert.True(whole.allclose(tiled, rtol: 0, atol: 1e-6));
    }
}
