using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.UNet;

public sealed class UNetStructureTests
{
    private static readonly LatentFormat Format = new(4, 0.18215, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], null);

    [Fact]
    public void Sd15_parameters_are_exactly_the_checkpoint_keys_with_their_shapes()
    {
        var expected = GoldenKeys.WithPrefix("model.diffusion_model.");
        using var unet = new UNetModel(UNetConfig.Sd15, ModelPrediction.Epsilon, Format);
        var actual = unet.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        Assert.Equal(686, expected.Count);
        Assert.Empty(expected.Keys.Except(actual.Keys));
        Assert.Empty(actual.Keys.Except(expected.Keys));
        foreach (var (key, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(actual[key]), $"{key}: [{string.Join(",", actual[key])}] vs [{string.Join(",", shape)}]");
        }
    }

    [Fact]
    public void Timestep_embedding_is_cos_then_sin_of_geometric_frequencies()
    {
        using var t = tensor(new float[] { 0, 999 });
        using var emb = UNetModel.TimestepEmbedding(t, 320);
        Assert.Equal([2L, 320L], emb.shape);
        float[] v = emb.data<float>().ToArray();
        Assert.Equal(1f, v[0]);         // cos(0)
        Assert.Equal(0f, v[160]);       // sin(0)
        Assert.Equal(MathF.Cos(999f), v[320], 4);
        Assert.Equal(MathF.Sin(999f), v[320 + 160], 4);
        // Last frequency: exp(-ln(10000) * 159 / 160).
        double freq = Math.Exp(-Math.Log(10000) * 159 / 160);
        Assert.Equal(Math.Cos(999 * freq), v[320 + 159], 4);
    }
}
