using ComfySharp.Diffusion.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Sampling;

public sealed class NoiseTests
{
    [Theory]
    [InlineData("seed42_1x4x8x8", 42UL)]
    [InlineData("seed42_2x4x8x8", 42UL)]
    [InlineData("seed0_1x4x8x8", 0UL)]
    [InlineData("seed0_2x4x8x8", 0UL)]
    [InlineData("seed42_1x4x64x64", 42UL)]
    public void Noise_is_bitwise_identical_to_the_reference(string key, ulong seed)
    {
        Tensor golden = GoldenTensors.Load("03_noise", "noise.safetensors")[key];
        using Tensor noise = Noise.Prepare(golden.shape, seed);
        Assert.Equal(golden.data<float>().ToArray(), noise.data<float>().ToArray());
    }

    [Fact]
    public void Batch_index_picks_the_matching_draw()
    {
        Tensor golden = GoldenTensors.Load("03_noise", "noise.safetensors")["seed42_2x4x8x8"];
        using Tensor noise = Noise.Prepare([1, 4, 8, 8], 42, [1]);
        Assert.Equal(golden[1].data<float>().ToArray(), noise[0].data<float>().ToArray());
    }

    [Fact]
    public void Ancestral_noise_uses_seed_plus_one()
    {
        using var sampler = new GeneratorNoiseSampler([1, 4, 8, 8], 41);
        using Tensor first = sampler.Next(1, 0.5);
        using Tensor expected = Noise.Prepare([1, 4, 8, 8], 42);
        Assert.Equal(expected.data<float>().ToArray(), first.data<float>().ToArray());
    }
}
