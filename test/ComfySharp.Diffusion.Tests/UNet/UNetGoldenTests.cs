using ComfySharp.Diffusion.Tests.Checkpoints;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.UNet;

[Collection(Sd15CheckpointCollection.Name)]
public sealed class UNetGoldenTests(Sd15CheckpointFixture fixture)
{
    [Theory]
    [InlineData("single")]
    [InlineData("cfg_batch")]
    [InlineData("long_context")]
    public void One_evaluation_matches_the_reference(string name)
    {
        using var scope = NewDisposeScope();
        using var golden = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "05_unet", name + ".safetensors"));
        Tensor x = golden.Load("x");
        Tensor sigma = golden.Load("sigma");
        Tensor context = golden.Load("c_crossattn");
        Tensor timestep = golden.Load("timestep");

        Assert.Equal(NearestTimestep(sigma), timestep.data<float>().ToArray());
        Tensor xc = x / (sigma * sigma + 1).sqrt().view(-1, 1, 1, 1);
        Assert.True(TensorAssert.MaxRelativeError(golden.Load("xc"), xc) <= 1e-6);

        var unet = fixture.Checkpoint.UNet!;
        Tensor eps = unet.Forward(xc, timestep, context);
        Tensor denoised = x - eps * sigma.view(-1, 1, 1, 1);

        double epsError = TensorAssert.MaxRelativeError(golden.Load("eps"), eps);
        double denoisedError = TensorAssert.MaxRelativeError(golden.Load("denoised"), denoised);
        Assert.True(epsError <= 1e-4, $"eps rel error {epsError:E2}");
        Assert.True(denoisedError <= 1e-4, $"denoised rel error {denoisedError:E2}");
        Assert.False(eps.isnan().any().item<bool>());
    }

    [Fact]
    public void Checkpoint_is_detected_as_sd15_with_its_latent_format()
    {
        var detected = fixture.Checkpoint.Detected;
        Assert.Equal(Diffusion.Checkpoints.ModelFamily.Sd1, detected.Family);
        Assert.Equal(Diffusion.Models.ModelPrediction.Epsilon, fixture.Checkpoint.Model!.Network.Prediction);
        Assert.Equal(0.18215, detected.LatentFormat.ScaleFactor);
        Assert.Equal(4, detected.LatentFormat.Channels);
        Assert.Same(fixture.Checkpoint.UNet, fixture.Checkpoint.Model.Network);
    }

    [Fact]
    public void Latent2rgb_factors_reproduce_the_reference_preview()
    {
        using var scope = NewDisposeScope();
        using var golden = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "08_latent2rgb", "preview.safetensors"));
        var format = fixture.Checkpoint.Detected.LatentFormat;
        Tensor factors = tensor(format.Latent2RgbFactors.SelectMany(r => r).Select(v => (float)v).ToArray()).view(4, 3);
        TensorAssert.Identical(golden.Load("latent_rgb_factors"), factors);
        Tensor rgb = golden.Load("x0")[0].permute(1, 2, 0).matmul(factors);
        Assert.True(TensorAssert.MaxRelativeError(golden.Load("rgb"), rgb) <= 1e-5);
    }

    private static float[] NearestTimestep(Tensor sigma)
    {
        using var sigmas = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "04_sigmas", "sigmas.safetensors"));
        Tensor logSigmas = sigmas.Load("model_sampling_log_sigmas");
        Tensor distance = (sigma.log().view(-1, 1) - logSigmas.view(1, -1)).abs();
        return distance.argmin(1).to_type(ScalarType.Float32).data<float>().ToArray();
    }
}
