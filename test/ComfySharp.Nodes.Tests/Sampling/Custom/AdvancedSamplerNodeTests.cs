using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Nodes.Sampling.Custom;
using ComfySharp.Torch.Tensors;
using Xunit;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Tests.Sampling.Custom;

/// <summary>
/// SamplerER_SDE, SamplerSASolver, SamplerEulerCFGpp and SamplerLCMUpscale: single steps computed by
/// hand on toy denoisers, convergence on a Gaussian toy problem whose exact ODE solution is known, and
/// deterministic runs through SamplerCustomAdvanced.
/// </summary>
public sealed class AdvancedSamplerNodeTests
{
    // Toy data: every element ~ N(μ, s²). The exact denoiser is μ + s²/(s² + σ²)·(x − μ), and the
    // probability-flow ODE moves x − μ in proportion to sqrt(s² + σ²).
    private const double Mu = 0.7, S = 0.5;

    private static Tensor GaussianDenoiser(Tensor x, Tensor sigma)
    {
        double sg = sigma[0].item<float>();
        using var scope = NewDisposeScope();
        return x.Sub(Mu).Mul(S * S / ((S * S) + (sg * sg))).Add(Mu).MoveToOuterDisposeScope();
    }

    private static double ExactOde(double x0, double sigma0, double sigma1) => Mu + ((x0 - Mu) * Math.Sqrt((S * S) + (sigma1 * sigma1)) / Math.Sqrt((S * S) + (sigma0 * sigma0)));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static object?[] Outputs(ComfyNode node, Dictionary<string, object?> values) =>
        node.ExecuteAsync(new NodeInputs(values), new TestNodeContext()).AsTask().Result.Values.ToArray();

    private static SamplerDefinition Node(ComfyNode node, Dictionary<string, object?> values) => (SamplerDefinition)Outputs(node, values)[0]!;

    private static SamplerDefinition ErSde(string solver, long maxStage = 3, double eta = 1.0, double sNoise = 1.0) =>
        Node(new SamplerER_SDE(), new() { ["solver_type"] = solver, ["max_stage"] = maxStage, ["eta"] = eta, ["s_noise"] = sNoise });

    private static SamplerDefinition SaSolver(double eta, long predictor, long corrector, bool pece = false, bool simple = false) =>
        Node(new SamplerSASolver(), new()
        {
            ["model"] = new ModelPatcher(new FakeNetwork()),
            ["eta"] = eta,
            ["sde_start_percent"] = 0.2,
            ["sde_end_percent"] = 0.8,
            ["s_noise"] = 1.0,
            ["predictor_order"] = predictor,
            ["corrector_order"] = corrector,
            ["use_pece"] = pece,
            ["simple_order_2"] = simple,
        });

    private static SamplerDefinition Select(string name) =>
        Node(new KSamplerSelect(), new() { ["sampler_name"] = name });

    private static Tensor Run(SamplerDefinition sampler, Tensor x, float[] sigmas, Denoiser? denoiser = null, ulong seed = 5) =>
        sampler.Run(new SamplerContext(denoiser ?? GaussianDenoiser, ModelSamplingDiscrete.Epsilon, seed), x, sigmas);

    private static float[] Geometric(double from, double to, int steps) =>
        Enumerable.Range(0, steps + 1).Select(i => (float)(from * Math.Pow(to / from, (double)i / steps))).ToArray();

    private static double OdeError(SamplerDefinition sampler, int steps)
    {
        float[] sigmas = Geometric(8.0, 0.05, steps);
        Tensor x0 = tensor(new float[] { -9f, -2f, 3f, 11f }).view(1, 1, 2, 2);
        float[] result = Run(sampler, x0, sigmas).data<float>().ToArray();
        float[] start = x0.data<float>().ToArray();
        return start.Select((v, i) => Math.Abs(result[i] - ExactOde(v, sigmas[0], sigmas[^1]))).Max();
    }

    [Fact]
    public void Er_sde_ode_single_stage_is_an_euler_step()
    {
        // Stage 1 of the ODE form (noise scaler λ, λ = σ for an ε model) is x·σ₁/σ₀ + D·(1 − σ₁/σ₀) = Euler.
        Tensor x = tensor(new float[] { 1.5f, -2f, 0.25f, 4f }).view(1, 1, 2, 2);
        float[] sigmas = [3f, 1.2f];
        float[] result = Run(ErSde("ODE", maxStage: 1), x, sigmas).data<float>().ToArray();
        float[] start = x.data<float>().ToArray();
        for (int i = 0; i < start.Length; i++)
        {
            double d = Mu + (S * S / ((S * S) + 9.0) * (start[i] - Mu));
            double euler = start[i] + ((1.2 - 3.0) * (start[i] - d) / 3.0);
            Assert.Equal(euler, result[i], 1e-5);
        }
    }

    [Fact]
    public void Er_sde_ode_converges_faster_than_euler_and_reverse_time_sde_with_eta_zero_is_the_ode()
    {
        // Euler is first order (error halves with twice the steps); the three-stage ODE solver is second order
        // here (the stages use finite differences of past predictions), so it quarters.
        double euler10 = OdeError(Select("euler"), 10), euler20 = OdeError(Select("euler"), 20);
        double ode10 = OdeError(ErSde("ODE"), 10), ode20 = OdeError(ErSde("ODE"), 20), ode40 = OdeError(ErSde("ODE"), 40);
        Assert.True(euler20 > euler10 / 2.5, $"Euler 10 steps {euler10}, 20 steps {euler20}");
        Assert.True(ode20 < euler20 / 5, $"ER-SDE ODE error {ode20}, Euler {euler20}");
        Assert.True(ode20 < ode10 / 3 && ode40 < ode20 / 3, $"10 steps {ode10}, 20 steps {ode20}, 40 steps {ode40}");
        // One stage is Euler's first order.
        Assert.Equal(euler10, OdeError(ErSde("ODE", maxStage: 1), 10), 1e-4);

        Tensor x = tensor(new float[] { -3f, 1f, 2f, 6f }).view(1, 1, 2, 2);
        float[] sigmas = Geometric(8.0, 0.1, 6);
        Tensor ode = Run(ErSde("ODE"), x, sigmas);
        Assert.True(Same(ode, Run(ErSde("Reverse-time SDE", eta: 0.0), x, sigmas)));
        Assert.True(Same(ode, Run(ErSde("ODE", eta: 3.0, sNoise: 2.0), x, sigmas)));
    }

    [Fact]
    public void Er_sde_noise_is_seeded_and_s_noise_zero_removes_it()
    {
        Tensor x = randn(1, 2, 4, 4, generator: new Generator(1));
        float[] sigmas = [.. Geometric(8.0, 0.1, 5), 0f];
        foreach (string solver in new[] { "ER-SDE", "Reverse-time SDE" })
        {
            Tensor a = Run(ErSde(solver), x, sigmas, seed: 3), b = Run(ErSde(solver), x, sigmas, seed: 3), c = Run(ErSde(solver), x, sigmas, seed: 4);
            Assert.True(Same(a, b));
            Assert.False(Same(a, c));
            Tensor quiet = Run(ErSde(solver, sNoise: 0.0), x, sigmas, seed: 3);
            Assert.True(Same(quiet, Run(ErSde(solver, sNoise: 0.0), x, sigmas, seed: 4)));
        }
    }

    [Fact]
    public void Sa_solver_as_ode_of_order_one_is_euler_and_higher_orders_converge_faster()
    {
        // η = 0, predictor order 1, no corrector: x_t = (σ_t/σ_s)·x + (1 − σ_t/σ_s)·D, Euler's step.
        Assert.Equal(OdeError(Select("euler"), 10), OdeError(SaSolver(0.0, 1, 0), 10), 1e-4);
        double euler = OdeError(Select("euler"), 10), euler20 = OdeError(Select("euler"), 20);
        double order3 = OdeError(SaSolver(0.0, 3, 4), 10);
        double simple2 = OdeError(SaSolver(0.0, 2, 2, simple: true), 20), simple40 = OdeError(SaSolver(0.0, 2, 2, simple: true), 40);
        double full2 = OdeError(SaSolver(0.0, 2, 2), 20);
        Assert.True(order3 < euler / 20, $"order 3 {order3}, euler {euler}");
        Assert.True(simple2 < euler20 / 5, $"simple order 2 {simple2}, euler {euler20}");
        Assert.True(simple40 < simple2 / 3, $"simple order 2: 20 steps {simple2}, 40 steps {simple40}");
        Assert.True(full2 < euler20 / 20, $"order 2 {full2}, euler {euler20}");
        Assert.NotEqual(simple2, full2);
    }

    [Fact]
    public void Sa_solver_simple_order_two_predictor_matches_a_hand_computed_second_step()
    {
        // Two steps, predictor order 2, no corrector, η = 0 (α = 1, λ = −log σ). Step 1 is first order;
        // step 2 weights D₀ by b_old = ½h²/(λ₀ − λ₁) and D₁ by (1 − e^(−h)) − b_old, h = λ₂ − λ₁.
        float[] sigmas = [4f, 1.5f, 0.6f];
        Tensor x = tensor(new float[] { -2f, 0.5f, 3f, 9f }).view(1, 1, 2, 2);
        float[] result = Run(SaSolver(0.0, 2, 0, simple: true), x, sigmas).data<float>().ToArray();
        float[] start = x.data<float>().ToArray();
        double D(double v, double sigma) => Mu + (S * S / ((S * S) + (sigma * sigma)) * (v - Mu));
        double l0 = -Math.Log(4), l1 = -Math.Log(1.5), l2 = -Math.Log(0.6);
        for (int i = 0; i < start.Length; i++)
        {
            double d0 = D(start[i], 4);
            double x1 = (1.5 / 4 * start[i]) + ((1 - (1.5 / 4)) * d0);
            double d1 = D(x1, 1.5);
            double h = l2 - l1;
            double bOld = 0.5 * h * h / (l0 - l1);
            double bNew = (1 - Math.Exp(-h)) - bOld;
            double x2 = (0.6 / 1.5 * x1) + (bOld * d0) + (bNew * d1);
            Assert.Equal(x2, result[i], 1e-5);
        }
    }

    [Fact]
    public void Sa_solver_eta_zero_is_deterministic_and_eta_one_uses_the_seed()
    {
        Tensor x = randn(1, 2, 4, 4, generator: new Generator(2));
        float[] sigmas = [.. Geometric(14.0, 0.05, 8), 0f];
        Assert.True(Same(Run(SaSolver(0.0, 3, 4), x, sigmas, seed: 1), Run(SaSolver(0.0, 3, 4), x, sigmas, seed: 2)));
        Tensor a = Run(SaSolver(1.0, 3, 4, pece: true), x, sigmas, seed: 1);
        Assert.True(Same(a, Run(SaSolver(1.0, 3, 4, pece: true), x, sigmas, seed: 1)));
        Assert.False(Same(a, Run(SaSolver(1.0, 3, 4, pece: true), x, sigmas, seed: 2)));
        // The node's defaults are KSampler's sa_solver.
        Assert.True(Same(Run(SaSolver(1.0, 3, 4), x, sigmas, seed: 1), Run(Select("sa_solver"), x, sigmas, seed: 1)));
    }

    [Fact]
    public void Euler_cfg_pp_alternative_steps_along_the_unconditional_offset()
    {
        // Toy guider: the guided prediction is 0.5·x, the unconditional one 0.25·x + 1.
        Tensor x = tensor(new float[] { 2f, -4f, 1f, 8f }).view(1, 1, 2, 2);
        float[] sigmas = [5f, 2f];
        SamplerContext? context = null;
        Tensor Toy(Tensor input, Tensor sigma)
        {
            context!.LastUncondDenoised = input.Mul(0.25).Add(1.0);
            return input.Mul(0.5);
        }
        context = new SamplerContext(Toy, ModelSamplingDiscrete.Epsilon, 1);
        SamplerDefinition alternative = Node(new SamplerEulerCFGpp(), new() { ["version"] = "alternative" });
        Assert.True(alternative.NeedsUncondPrediction);
        float[] result = alternative.Run(context, x, sigmas).data<float>().ToArray();
        float[] start = x.data<float>().ToArray();
        for (int i = 0; i < start.Length; i++)
        {
            double d = (start[i] - (2 * 0.5 * start[i]) + ((0.25 * start[i]) + 1)) / 5.0;
            Assert.Equal(start[i] + ((2.0 - 5.0) * d), result[i], 1e-5);
        }
        SamplerDefinition regular = Node(new SamplerEulerCFGpp(), new() { ["version"] = "regular" });
        Assert.Same(SamplerRegistry.Get("euler_cfg_pp"), regular);
    }

    [Fact]
    public void Lcm_upscale_factors_follow_numpy_linspace()
    {
        Assert.Equal([1.5, 2.0], KDiffusionSamplers.LcmUpscaleFactors(5, 2.0, null));
        Assert.Equal([1.25, 1.5, 1.75, 2.0], KDiffusionSamplers.LcmUpscaleFactors(9, 2.0, null));
        Assert.Equal([2.0, 3.0], KDiffusionSamplers.LcmUpscaleFactors(9, 3.0, 2));
        Assert.Empty(KDiffusionSamplers.LcmUpscaleFactors(9, 3.0, 0));
        // More upscale steps than σ values: capped at count + 1 points.
        Assert.Equal(5, KDiffusionSamplers.LcmUpscaleFactors(5, 2.0, 100).Length);
    }

    [Fact]
    public void Lcm_upscale_grows_the_latent_and_renoises_from_the_seeded_generator()
    {
        SamplerDefinition sampler = Node(new SamplerLCMUpscale(), new() { ["scale_ratio"] = 2.0, ["scale_steps"] = -1L, ["upscale_method"] = "bilinear" });
        float[] sigmas = [6f, 3f, 1f, 0.5f, 0f];
        var shapes = new List<long>();
        var seen = new List<Tensor>();
        var context = new SamplerContext((x, sigma) => zeros_like(x), ModelSamplingDiscrete.Epsilon, 11)
        {
            Callback = step =>
            {
                shapes.Add(step.X.shape[^1]);
                seen.Add(step.X.clone().DetachFromDisposeScope());
            },
        };
        Tensor result = sampler.Run(context, randn(1, 4, 8, 8), sigmas);
        Assert.Equal([8L, 12L, 16L, 16L], shapes);
        Assert.Equal([1L, 4L, 16L, 16L], result.shape);
        Assert.Equal(0f, result.abs().max().item<float>());
        // The prediction is 0, so the second step starts from σ₁·noise: the draw after one latent-sized draw from the seed.
        using var generator = new Generator(11);
        randn([1, 4, 8, 8], generator: generator).Dispose();
        Tensor expected = randn([1, 4, 12, 12], generator: generator).Mul(3.0);
        Assert.True(expected.allclose(seen[1]));
    }

    [Fact]
    public void New_samplers_run_through_sampler_custom_advanced_deterministically()
    {
        var model = new ModelPatcher(new FakeNetwork());
        ConditioningValue Cond(float v) => [new ConditioningEntry(full(1, 77, 8, v), new Dictionary<string, object?>())];
        var guider = (Guider)Outputs(new CFGGuider(), new() { ["model"] = model, ["positive"] = Cond(1f), ["negative"] = Cond(-1f), ["cfg"] = 4.0 })[0]!;
        float[] sigmas = [14.6f, 5f, 2f, 0.8f, 0f];
        SamplerDefinition[] samplers =
        [
            ErSde("ER-SDE"), ErSde("Reverse-time SDE", eta: 0.5), SaSolver(1.0, 3, 4, simple: true),
            Node(new SamplerEulerCFGpp(), new() { ["version"] = "alternative" }),
            Node(new SamplerLCMUpscale(), new() { ["scale_ratio"] = 1.5, ["scale_steps"] = 2L, ["upscale_method"] = "bislerp" }),
        ];
        foreach (SamplerDefinition sampler in samplers)
        {
            Tensor Sample() => ((LatentValue)Outputs(new SamplerCustomAdvanced(), new()
            {
                ["noise"] = new RandomNoiseSource(9),
                ["guider"] = guider,
                ["sampler"] = sampler,
                ["sigmas"] = sigmas,
                ["latent_image"] = new LatentValue(zeros(1, 4, 8, 8)),
            })[0]!).Samples;
            Tensor first = Sample();
            Assert.True(first.isfinite().all().item<bool>(), sampler.Name);
            Assert.True(Same(first, Sample()), sampler.Name);
        }
    }
}
