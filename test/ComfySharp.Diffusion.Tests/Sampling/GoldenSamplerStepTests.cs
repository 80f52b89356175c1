using ComfySharp.Diffusion.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Sampling;

/// <summary>
/// Replays the reference's per-step denoiser outputs (07a/07b/07c steps_denoised) through the C#
/// samplers: the sampler maths alone must reproduce the reference's steps_x and final samples.
/// </summary>
public sealed class GoldenSamplerStepTests
{
    [Theory]
    [InlineData("07a_txt2img_euler_normal", "euler")]
    [InlineData("07b_txt2img_euler_ancestral_normal", "euler_ancestral")]
    [InlineData("07c_txt2img_dpmpp_2m_karras", "dpmpp_2m")]
    public void Sampler_reproduces_reference_steps_from_reference_predictions(string folder, string samplerName)
    {
        var golden = GoldenTensors.Load(folder, "result.safetensors");
        Tensor stepsX = golden["steps_x"];
        Tensor stepsDenoised = golden["steps_denoised"];
        float[] sigmas = golden["sigmas"].data<float>().ToArray();
        Tensor noise = golden["noise"];

        int call = 0;
        var seenX = new List<Tensor>();
        var context = new SamplerContext((x, sigma) =>
        {
            Assert.Equal(sigmas[call], sigma[0].item<float>());
            return stepsDenoised[call++].clone();
        }, ModelSamplingDiscrete.Epsilon, 42)
        {
            Callback = step => seenX.Add(step.X.clone().DetachFromDisposeScope()),
        };

        Assert.True(ModelSamplingDiscrete.Epsilon.IsMaxDenoise(sigmas[0]));
        Tensor start = ModelSamplingDiscrete.NoiseScaling(sigmas[0], noise, zeros_like(noise), maxDenoise: true);
        Assert.True(GoldenTensors.Relative(start, stepsX[0]) < 1e-6, $"start rel {GoldenTensors.Relative(start, stepsX[0])}");

        Tensor result = SamplerRegistry.Get(samplerName).Run(context, start, sigmas);

        Assert.Equal(sigmas.Length - 1, call);
        for (int k = 0; k < seenX.Count; k++)
        {
            double rel = GoldenTensors.Relative(seenX[k], stepsX[k]);
            Assert.True(rel < 1e-5, $"steps_x[{k}] rel {rel}");
        }
        double samplesRel = GoldenTensors.Relative(result / 0.18215, golden["samples"]);
        Assert.True(samplesRel < 1e-5, $"samples rel {samplesRel}");
    }

    [Fact]
    public void Wrong_sampler_does_not_reproduce_the_reference_steps()
    {
        var golden = GoldenTensors.Load("07c_txt2img_dpmpp_2m_karras", "result.safetensors");
        Tensor stepsDenoised = golden["steps_denoised"];
        float[] sigmas = golden["sigmas"].data<float>().ToArray();
        int call = 0;
        var seenX = new List<Tensor>();
        var context = new SamplerContext((x, sigma) => stepsDenoised[Math.Min(call++, 2)].clone(), ModelSamplingDiscrete.Epsilon, 42)
        {
            Callback = step => seenX.Add(step.X.clone().DetachFromDisposeScope()),
        };
        SamplerRegistry.Get("euler").Run(context, golden["steps_x"][0], sigmas);
        double rel = GoldenTensors.Relative(seenX[2], golden["steps_x"][2]);
        Assert.True(rel > 1e-3, $"rel {rel}");
    }
}
