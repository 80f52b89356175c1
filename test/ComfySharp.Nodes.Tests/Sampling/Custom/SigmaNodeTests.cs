using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling.Custom;
using Xunit;

namespace ComfySharp.Nodes.Tests.Sampling.Custom;

/// <summary>Scheduler and σ-list nodes against closed forms computed here in double precision.</summary>
public sealed class SigmaNodeTests
{
    private static readonly ModelPatcher Model = new(new FakeNetwork());

    private static object?[] Run(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values.ToArray();

    private static float[] Sigmas(ComfyNode node, Dictionary<string, object?> values) => (float[])Run(node, values)[0]!;

    private static void Close(double[] expected, float[] actual, double relative = 2e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Max(1.0, Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }

    private static double Lin(double a, double b, int n, int i) => n == 1 ? a : a + ((b - a) * i / (n - 1));

    [Fact]
    public void BasicScheduler_equals_KSampler_schedule_and_trims_for_denoise()
    {
        ModelSamplingDiscrete sampling = ModelSamplingDiscrete.Epsilon;
        float[] full = Sigmas(new BasicScheduler(), new() { ["model"] = Model, ["scheduler"] = "normal", ["steps"] = 5L, ["denoise"] = 1.0 });
        Assert.Equal(KSamplerSchedule.CalculateSigmas(sampling, "normal", "euler", 5), full);
        float[] half = Sigmas(new BasicScheduler(), new() { ["model"] = Model, ["scheduler"] = "karras", ["steps"] = 5L, ["denoise"] = 0.5 });
        Assert.Equal(Schedulers.Calculate(sampling, "karras", 10)[^6..], half);
        Assert.Empty(Sigmas(new BasicScheduler(), new() { ["model"] = Model, ["scheduler"] = "simple", ["steps"] = 5L, ["denoise"] = 0.0 }));
    }

    [Fact]
    public void Karras_exponential_and_polyexponential_follow_their_formulas()
    {
        const double max = 14.614642, min = 0.0291675;
        float[] karras = Sigmas(new KarrasScheduler(), new() { ["steps"] = 6L, ["sigma_max"] = max, ["sigma_min"] = min, ["rho"] = 7.0 });
        Close([.. Enumerable.Range(0, 6).Select(i => Math.Pow(Lin(Math.Pow(max, 1 / 7.0), Math.Pow(min, 1 / 7.0), 6, i), 7)), 0], karras, 1e-5);
        float[] exponential = Sigmas(new ExponentialScheduler(), new() { ["steps"] = 6L, ["sigma_max"] = max, ["sigma_min"] = min });
        Close([.. Enumerable.Range(0, 6).Select(i => Math.Exp(Lin(Math.Log(max), Math.Log(min), 6, i))), 0], exponential, 1e-5);
        float[] poly = Sigmas(new PolyexponentialScheduler(), new() { ["steps"] = 6L, ["sigma_max"] = max, ["sigma_min"] = min, ["rho"] = 2.0 });
        Close([.. Enumerable.Range(0, 6).Select(i => Math.Exp((Math.Pow(Lin(1, 0, 6, i), 2) * (Math.Log(max) - Math.Log(min))) + Math.Log(min))), 0], poly, 1e-5);
    }

    [Fact]
    public void Laplace_and_vp_follow_their_formulas()
    {
        float[] laplace = Sigmas(new LaplaceScheduler(), new() { ["steps"] = 7L, ["sigma_max"] = 14.6, ["sigma_min"] = 0.03, ["mu"] = 0.5, ["beta"] = 0.5 });
        Close(Enumerable.Range(0, 7).Select(i =>
        {
            double x = Lin(0, 1, 7, i);
            double lambda = 0.5 - (0.5 * Math.Sign(0.5 - x) * Math.Log(1 - (2 * Math.Abs(0.5 - x)) + 1e-5));
            return Math.Clamp(Math.Exp(lambda), 0.03, 14.6);
        }).ToArray(), laplace, 1e-5);
        Assert.NotEqual(0f, laplace[^1]); // the reference appends no final 0 here

        float[] vp = Sigmas(new VPScheduler(), new() { ["steps"] = 5L, ["beta_d"] = 19.9, ["beta_min"] = 0.1, ["eps_s"] = 0.001 });
        Close([.. Enumerable.Range(0, 5).Select(i => { double t = Lin(1, 0.001, 5, i); return Math.Sqrt(Math.Exp((19.9 * t * t / 2) + (0.1 * t)) - 1); }), 0], vp, 1e-5);
    }

    [Fact]
    public void Turbo_align_your_steps_and_beta_schedules()
    {
        ModelSamplingDiscrete sampling = ModelSamplingDiscrete.Epsilon;
        float[] turbo = Sigmas(new SDTurboScheduler(), new() { ["model"] = Model, ["steps"] = 3L, ["denoise"] = 0.5 });
        Close([sampling.Sigmas[499], sampling.Sigmas[399], sampling.Sigmas[299], 0], turbo, 1e-5);
        Close([sampling.Sigmas[999], 0], Sigmas(new SDTurboScheduler(), new() { ["model"] = Model, ["steps"] = 1L, ["denoise"] = 1.0 }), 1e-5);

        double[] sd1 = CustomSchedules.AlignYourStepsLevels["SD1"];
        float[] ten = Sigmas(new AlignYourStepsScheduler(), new() { ["model_type"] = "SD1", ["steps"] = 10L, ["denoise"] = 1.0 });
        Close([.. sd1[..10], 0], ten);
        float[] halfway = Sigmas(new AlignYourStepsScheduler(), new() { ["model_type"] = "SD1", ["steps"] = 10L, ["denoise"] = 0.5 });
        Close([.. sd1[5..10], 0], halfway);
        float[] twenty = Sigmas(new AlignYourStepsScheduler(), new() { ["model_type"] = "SDXL", ["steps"] = 20L, ["denoise"] = 1.0 });
        Assert.Equal(21, twenty.Length);
        // Every other point of the 21-point resampling is an original level; the ones between are geometric means.
        double[] sdxl = CustomSchedules.AlignYourStepsLevels["SDXL"];
        Close([sdxl[0], Math.Sqrt(sdxl[0] * sdxl[1]), sdxl[1]], twenty[..3]);
        Assert.Equal(0f, twenty[^1]);

        float[] beta = Sigmas(new BetaSamplingScheduler(), new() { ["model"] = Model, ["steps"] = 4L, ["alpha"] = 1.0, ["beta"] = 1.0 });
        // Beta(1, 1) is uniform: timesteps round(999·(1 − i/4)).
        Close([sampling.Sigmas[999], sampling.Sigmas[749], sampling.Sigmas[500], sampling.Sigmas[250], 0], beta);
    }

    [Fact]
    public void Split_flip_set_extend_and_manual_sigmas()
    {
        float[] sigmas = [5f, 4f, 3f, 2f, 1f, 0f];
        var split = Run(new SplitSigmas(), new() { ["sigmas"] = sigmas, ["step"] = 2L });
        Assert.Equal([5f, 4f, 3f], (float[])split[0]!);
        Assert.Equal([3f, 2f, 1f, 0f], (float[])split[1]!);
        var beyond = Run(new SplitSigmas(), new() { ["sigmas"] = sigmas, ["step"] = 100L });
        Assert.Equal(sigmas, (float[])beyond[0]!);
        Assert.Empty((float[])beyond[1]!);

        var denoise = Run(new SplitSigmasDenoise(), new() { ["sigmas"] = sigmas, ["denoise"] = 0.4 });
        Assert.Equal([5f, 4f, 3f, 2f], (float[])denoise[0]!);
        Assert.Equal([2f, 1f, 0f], (float[])denoise[1]!);
        var none = Run(new SplitSigmasDenoise(), new() { ["sigmas"] = sigmas, ["denoise"] = 0.0 });
        Assert.Empty((float[])none[0]!);
        Assert.Equal([0f], (float[])none[1]!);

        Assert.Equal([FlipSigmas.FirstSigmaFloor, 1f, 2f, 3f, 4f, 5f], Sigmas(new FlipSigmas(), new() { ["sigmas"] = sigmas }));
        Assert.Equal([136f, 4f, 3f, 2f, 1f, 0f], Sigmas(new SetFirstSigma(), new() { ["sigmas"] = sigmas, ["sigma"] = 136.0 }));
        Assert.Equal(5f, sigmas[0]);

        float[] extendedLinear = Sigmas(new ExtendIntermediateSigmas(), new()
        {
            ["sigmas"] = new[] { 10f, 5f, 0f }, ["steps"] = 2L, ["start_at_sigma"] = -1.0, ["end_at_sigma"] = 4.0, ["spacing"] = "linear",
        });
        Assert.Equal([10f, 7.5f, 5f, 2.5f, 0f], extendedLinear);
        float[] extendedCosine = Sigmas(new ExtendIntermediateSigmas(), new()
        {
            ["sigmas"] = new[] { 10f, 5f, 0f }, ["steps"] = 4L, ["start_at_sigma"] = 9.0, ["end_at_sigma"] = 4.0, ["spacing"] = "cosine",
        });
        Close([10, 5, 5 - (5 * Math.Sin(Math.PI / 8)), 5 - (5 * Math.Sin(Math.PI / 4)), 5 - (5 * Math.Sin(3 * Math.PI / 8)), 0], extendedCosine);

        Assert.Equal([1f, 0.5f, -2f, 3.25f, 0.125f], Sigmas(new ManualSigmas(), new() { ["sigmas"] = "1, 0.5; -2 and +3.25 .125" }));
    }

    [Fact]
    public void SamplingPercentToSigma_maps_the_ends_and_the_middle()
    {
        ModelSamplingDiscrete sampling = ModelSamplingDiscrete.Epsilon;
        double Percent(double p, bool actual) => (double)Run(new SamplingPercentToSigma(), new() { ["model"] = Model, ["sampling_percent"] = p, ["return_actual_sigma"] = actual })[0]!;
        Assert.Equal(sampling.PercentToSigma(0.0), Percent(0.0, false));
        Assert.True(Percent(0.0, false) > 1e8);
        Assert.Equal(sampling.SigmaMax, Percent(0.0, true), 5);
        Assert.Equal(0.0, Percent(1.0, false));
        Assert.Equal(sampling.SigmaMin, Percent(1.0, true), 5);
        // Halfway: σ at timestep 499.5, between the table's entries 499 and 500.
        double middle = Percent(0.5, false);
        Assert.InRange(middle, sampling.Sigmas[499], sampling.Sigmas[500]);
    }
}
