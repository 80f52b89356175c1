using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Tensors;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.ModelPatches;

/// <summary>The post-CFG and mask functions against closed forms computed element by element in double precision.</summary>
public sealed class GuidancePatchMathTests
{
    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void CFGZeroStar_rescales_the_negative_by_the_optimal_projection()
    {
        Tensor x = tensor(new[] { 1f, 2f, 3f, 4f }).view(1, 4, 1, 1);
        Tensor cond = tensor(new[] { 0.5f, 1f, 2f, 2f }).view(1, 4, 1, 1);
        Tensor uncond = tensor(new[] { 0f, 1.5f, 2.5f, 3f }).view(1, 4, 1, 1);
        const double scale = 3.0;
        Tensor result = GuidancePatches.CfgZeroStar()(ModelPatchNodeTests.Step(x, tensor(new[] { 1f }), cond, uncond, scale));
        double[] p = [0.5, 1, 1, 2], n = [1, 0.5, 0.5, 1]; // x − cond, x − uncond
        double alpha = p.Zip(n).Sum(t => t.First * t.Second) / (n.Sum(v => v * v) + 1e-8);
        float[] xs = Values(x), cs = Values(cond), us = Values(uncond), actual = Values(result);
        for (int i = 0; i < 4; i++)
        {
            double cfg = us[i] + (cs[i] - us[i]) * scale;
            double expected = cfg + us[i] * (alpha - 1) + scale * us[i] * (1 - alpha);
            Assert.Equal(expected, actual[i], 5);
        }
        Assert.Equal(4, xs.Length);
    }

    [Fact]
    public void CFGNorm_caps_the_channel_norm_at_the_positive_prediction()
    {
        Tensor cond = tensor(new[] { 3f, 4f, 1f, 0f }).view(1, 2, 1, 2); // norms per pixel: √10, 4
        Tensor uncond = zeros(1, 2, 1, 2);
        var step = ModelPatchNodeTests.Step(zeros(1, 2, 1, 2), tensor(new[] { 1f }), cond, uncond, 2.0); // guided = 2·cond
        Tensor result = GuidancePatches.CfgNorm(0.5)(step);
        // scale = min(1, |cond| / |2·cond|) = 0.5 at both pixels → 2·cond · 0.5 · 0.5 = 0.5·cond.
        Close(cond.Mul(0.5), result);
        Tensor unchanged = GuidancePatches.CfgNorm(1.0)(ModelPatchNodeTests.Step(zeros(1, 2, 1, 2), tensor(new[] { 1f }), cond, uncond, 0.5));
        Close(cond.Mul(0.5), unchanged);
    }

    [Fact]
    public void Temporal_score_rescaling_lerps_from_the_input_by_the_snr_ratio()
    {
        Tensor x = ones(1, 1, 1, 2), cond = tensor(new[] { 0f, 3f }).view(1, 1, 1, 2);
        var step = ModelPatchNodeTests.Step(x, tensor(new[] { 2f }), cond, cond, 1.0);
        Close(cond, GuidancePatches.TemporalScoreRescaling(1.0, 1.0)(step));
        double snr = 0.25, variance = 0.25, k = 0.5;
        double r = (snr * variance + 1) / (snr * variance / k + 1);
        Tensor result = GuidancePatches.TemporalScoreRescaling(k, 0.5)(step);
        Assert.Equal(1 + (0 - 1) * r, Values(result)[0], 5);
        Assert.Equal(1 + (3 - 1) * r, Values(result)[1], 5);
    }

    [Fact]
    public void Differential_diffusion_thresholds_the_mask_by_progress_in_timesteps()
    {
        var sampling = ModelSamplingDiscrete.Epsilon;
        float[] sigmas = [10f, 5f, 1f, 0f];
        var step = new DenoiseMaskStep(sigmas, sampling);
        Tensor mask = tensor(new[] { 0f, 0.25f, 0.5f, 0.75f, 1f });
        double tsFrom = sampling.Timestep(10f), tsTo = sampling.Timestep(sampling.SigmaMin);
        foreach (float sigma in sigmas[..^1])
        {
            double threshold = (sampling.Timestep(sigma) - tsTo) / (tsFrom - tsTo);
            Tensor binary = DifferentialDiffusionPatch.Create(1.0)(tensor(new[] { sigma }), mask, step);
            float[] expected = [.. Values(mask).Select(m => m >= threshold ? 1f : 0f)];
            Assert.Equal(expected, Values(binary));
            Tensor blended = DifferentialDiffusionPatch.Create(0.25)(tensor(new[] { sigma }), mask, step);
            Close(tensor(expected).Mul(0.25).Add(mask.Mul(0.75)), blended);
        }
        Assert.Equal([0f, 0f, 0f, 0f, 1f], Values(DifferentialDiffusionPatch.Create(1.0)(tensor(new[] { 10f }), mask, step)));
    }

    [Fact]
    public void Differential_diffusion_runs_inpainting_through_KSampler()
    {
        Tensor soft = ScalarMath.Arange(8).to_type(ScalarType.Float32).Div(7.0).view(1, 1, 8).expand(1, 8, 8).contiguous();
        Tensor latent = ones(1, 4, 8, 8).Mul(0.3);
        var patched = One<ModelPatcher>(new Nodes.ModelPatches.DifferentialDiffusion(), new() { ["model"] = Model, ["strength"] = 1.0 });
        Tensor plain = KSample(Model, noiseMask: soft, latent: latent);
        Tensor differential = KSample(patched, noiseMask: soft, latent: latent);
        Differs(plain, differential);
        // A mask of ones passes every threshold (at most 1): the same as plain inpainting.
        Tensor full = ones(1, 8, 8);
        Same(KSample(Model, noiseMask: full, latent: latent), KSample(patched, noiseMask: full, latent: latent));
    }
}
