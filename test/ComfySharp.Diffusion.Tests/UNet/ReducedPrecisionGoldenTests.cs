using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Tests.Checkpoints;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.UNet;

/// <summary>
/// <c>--bf16-unet</c> / <c>--bf16-vae</c>: the same golden cases computed in bfloat16 stay within 30 dB PSNR of the
/// reference's float32 results (the default float32 path is pinned to 1e-4 by the golden tests themselves).
/// </summary>
[Collection(Sd15CheckpointCollection.Name)]
public sealed class ReducedPrecisionGoldenTests(Sd15CheckpointFixture fixture)
{
    private static readonly ComputeOptions BFloat16 = new()
    {
        Device = DevicePreference.Cpu,
        UNetDtype = ScalarType.BFloat16,
        VaeDtype = ScalarType.BFloat16,
    };

    [Fact]
    public void Bfloat16_unet_and_vae_stay_within_30_db_of_the_float32_reference()
    {
        using var scope = NewDisposeScope();
        using var file = SafeTensorsFile.Open(fixture.Path);
        var shapes = CheckpointLoading.Shapes(file);
        DetectedModel detected = ModelDetection.DetectUNet(shapes, ModelDetection.CheckpointUNetPrefix, k => file.Load(k))!;
        using var unet = CheckpointLoading.LoadUNet(file, detected, BFloat16);
        Assert.Equal(ScalarType.BFloat16, unet.ComputeType);

        using (var golden = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "05_unet", "single.safetensors")))
        {
            Tensor x = golden.Load("x");
            Tensor sigma = golden.Load("sigma");
            Tensor eps = unet.Forward(golden.Load("xc"), golden.Load("timestep"), golden.Load("c_crossattn"));
            Assert.Equal(ScalarType.Float32, eps.dtype);
            Tensor denoised = x - eps * sigma.view(-1, 1, 1, 1);
            double psnr = Psnr(golden.Load("denoised"), denoised);
            Assert.True(psnr >= 30, $"bf16 UNet denoised PSNR {psnr:F1} dB");
        }

        using var vae = CheckpointLoading.LoadVae(file, ModelDetection.CheckpointVaePrefix, BFloat16);
        using (var golden = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "06_vae", "decode.safetensors")))
        {
            Tensor image = vae.Decode(golden.Load("latent"));
            double psnr = Psnr(golden.Load("image"), image);
            Assert.True(psnr >= 30, $"bf16 VAE decode PSNR {psnr:F1} dB");
        }
    }

    // Peak signal-to-noise ratio with the reference's value range as the peak.
    private static double Psnr(Tensor reference, Tensor actual)
    {
        double range = (reference.max() - reference.min()).item<float>();
        double mse = (reference - actual.to_type(ScalarType.Float32)).square().mean().item<float>();
        return 10 * Math.Log10(range * range / Math.Max(mse, 1e-30));
    }
}
