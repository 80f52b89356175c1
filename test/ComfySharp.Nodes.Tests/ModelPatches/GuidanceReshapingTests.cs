using System.Numerics;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;
using ComfySharp.Nodes.ModelPatches;
using Xunit;
using static ComfySharp.Nodes.Tests.ModelPatches.PatchTestKit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.ModelPatches;

/// <summary>APG, TCFG, FreSca and Mahiro against closed forms computed element by element in double precision, and in KSampler runs.</summary>
public sealed class GuidanceReshapingTests
{
    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static PreCfgStep PreStep(Tensor x, float sigma, double scale, bool uncondEvaluated = true) =>
        new() { Input = x, Sigma = tensor(new[] { sigma }), CondScale = scale, Evaluated = [true, uncondEvaluated] };

    private static double Dot(double[] a, double[] b) => a.Zip(b).Sum(t => t.First * t.Second);

    private static double[] Scale(double[] a, double f) => a.Select(v => v * f).ToArray();

    private static double[] Plus(double[] a, double[] b) => a.Zip(b).Select(t => t.First + t.Second).ToArray();

    private static double[] Minus(double[] a, double[] b) => a.Zip(b).Select(t => t.First - t.Second).ToArray();

    private static double[] ApgByHand(double[] cond, double[] uncond, double[] guidance, double eta, double normThreshold, double scale)
    {
        double norm = Math.Sqrt(Dot(guidance, guidance));
        if (normThreshold > 0)
        {
            guidance = Scale(guidance, Math.Min(1.0, normThreshold / norm));
        }
        double[] unit = Scale(cond, 1 / Math.Sqrt(Dot(cond, cond)));
        double[] parallel = Scale(unit, Dot(guidance, unit));
        double[] modified = Plus(Minus(guidance, parallel), Scale(parallel, eta));
        return Plus(Plus(uncond, modified), Scale(Minus(cond, uncond), 1 / scale));
    }

    [Fact]
    public void Apg_projects_caps_and_rewrites_the_positive_prediction()
    {
        double[] c = [1, 2, -1, 0.5], u = [0.5, -1, 0, 2];
        Tensor cond = tensor(c.Select(v => (float)v).ToArray()).view(1, 2, 1, 2);
        Tensor uncond = tensor(u.Select(v => (float)v).ToArray()).view(1, 2, 1, 2);
        foreach (var (eta, threshold) in new[] { (1.0, 0.0), (0.3, 0.0), (-2.0, 1.5), (0.0, 50.0) })
        {
            Tensor[] result = GuidanceReshaping.Apg(eta, threshold, 0.0)([cond, uncond], PreStep(zeros(1, 2, 1, 2), 3f, 4.0));
            double[] expected = ApgByHand(c, u, Minus(c, u), eta, threshold, 4.0);
            float[] actual = Values(result[0]);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(expected[i], actual[i], 5);
            }
            Assert.Same(uncond, result[1]);
        }
        // One list (nothing to guide against) passes through.
        Tensor[] single = [cond];
        Assert.Same(single, GuidanceReshaping.Apg(0.5, 1.0, 0.0)(single, PreStep(zeros(1, 2, 1, 2), 3f, 4.0)));
    }

    [Fact]
    public void Apg_momentum_accumulates_while_sigma_falls_and_restarts_when_it_rises()
    {
        double[] c1 = [1, 0, 0, 1], u1 = [0, 0, 1, 0], c2 = [2, 1, 0, 0], u2 = [0, 1, 0, 1];
        Tensor T(double[] v) => tensor(v.Select(e => (float)e).ToArray()).view(1, 1, 2, 2);
        PreCfgFunction apg = GuidanceReshaping.Apg(0.5, 0.0, 0.4);
        apg([T(c1), T(u1)], PreStep(zeros(1, 1, 2, 2), 5f, 2.0));
        float[] second = Values(apg([T(c2), T(u2)], PreStep(zeros(1, 1, 2, 2), 2f, 2.0))[0]);
        double[] averaged = Plus(Scale(Minus(c1, u1), 0.4), Minus(c2, u2));
        double[] expected = ApgByHand(c2, u2, averaged, 0.5, 0.0, 2.0);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], second[i], 5);
        }
        // σ rises: a new run, the average starts again from this step's guidance.
        float[] restarted = Values(apg([T(c2), T(u2)], PreStep(zeros(1, 1, 2, 2), 9f, 2.0))[0]);
        double[] fresh = ApgByHand(c2, u2, Minus(c2, u2), 0.5, 0.0, 2.0);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(fresh[i], restarted[i], 5);
        }
    }

    [Fact]
    public void Tcfg_keeps_only_the_negative_scores_component_along_the_main_singular_direction()
    {
        double[] x = [1, -1, 2, 0.5, 3, 0], c = [0.5, 0, 1, 1, 2, -1], u = [2, -2, 0, 1, 1, 1];
        Tensor T(double[] v) => tensor(v.Select(e => (float)e).ToArray()).view(1, 3, 1, 2);
        Tensor[] result = GuidanceReshaping.Tcfg()([T(c), T(u)], PreStep(T(x), 2f, 5.0));
        // Scores a = x − uncond, b = x − cond; the first right-singular vector of [a; b] is Aᵀw/|Aᵀw|,
        // w the top eigenvector of the 2×2 Gram matrix [[a·a, a·b], [a·b, b·b]].
        double[] a = Minus(x, u), b = Minus(x, c);
        double p = Dot(a, a), q = Dot(a, b), r = Dot(b, b);
        double lambda = ((p + r) / 2) + Math.Sqrt((((p - r) / 2) * ((p - r) / 2)) + (q * q));
        double[] w = [q, lambda - p];
        double[] v = Plus(Scale(a, w[0]), Scale(b, w[1]));
        v = Scale(v, 1 / Math.Sqrt(Dot(v, v)));
        double[] expected = Minus(x, Scale(v, Dot(a, v)));
        float[] actual = Values(result[1]);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], actual[i], 4);
        }
        Assert.Equal(Values(T(c)), Values(result[0]));

        // Parallel scores: the negative is already on the main direction and stays as it is.
        Tensor[] parallel = GuidanceReshaping.Tcfg()([T(Minus(x, Scale(a, 0.5))), T(u)], PreStep(T(x), 2f, 5.0));
        Close(T(u), parallel[1], 1e-4);
        // A skipped negative (cfg 1) is left alone, as the reference skips a None negative.
        Tensor[] inputs = [T(c), T(u)];
        Assert.Same(inputs, GuidanceReshaping.Tcfg()(inputs, PreStep(T(x), 2f, 1.0, uncondEvaluated: false)));
    }

    /// <summary>The FreSca filter by direct 2-D DFT: frequency (ky, kx) is "low" when its fftshift position lies in the centre window.</summary>
    private static double[,] FrescaByHand(double[,] g, double low, double high, int cutoff)
    {
        int h = g.GetLength(0), wd = g.GetLength(1);
        bool IsLow(int k, int n)
        {
            int centre = n / 2, half = Math.Min(cutoff, centre);
            for (int i = centre - half; i < centre + half; i++)
            {
                if ((((i - (n / 2)) % n) + n) % n == k)
                {
                    return true;
                }
            }
            return false;
        }
        var spectrum = new Complex[h, wd];
        for (int ky = 0; ky < h; ky++)
        {
            for (int kx = 0; kx < wd; kx++)
            {
                Complex sum = Complex.Zero;
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < wd; x++)
                    {
                        sum += g[y, x] * Complex.Exp(new Complex(0, -2 * Math.PI * (((double)ky * y / h) + ((double)kx * x / wd))));
                    }
                }
                spectrum[ky, kx] = sum * (IsLow(ky, h) && IsLow(kx, wd) ? low : high);
            }
        }
        var result = new double[h, wd];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < wd; x++)
            {
                Complex sum = Complex.Zero;
                for (int ky = 0; ky < h; ky++)
                {
                    for (int kx = 0; kx < wd; kx++)
                    {
                        sum += spectrum[ky, kx] * Complex.Exp(new Complex(0, 2 * Math.PI * (((double)ky * y / h) + ((double)kx * x / wd))));
                    }
                }
                result[y, x] = sum.Real / (h * wd);
            }
        }
        return result;
    }

    [Theory]
    [InlineData(4, 5, 1)]
    [InlineData(6, 4, 2)]
    [InlineData(3, 3, 20)]
    public void FreSca_scales_low_and_high_frequencies_of_the_guidance(int h, int w, int cutoff)
    {
        using var generator = new Generator(5);
        Tensor cond = randn([1, 2, h, w], generator: generator), uncond = randn([1, 2, h, w], generator: generator);
        Tensor[] result = GuidanceReshaping.FreSca(0.5, 1.75, cutoff)([cond, uncond], PreStep(zeros(1, 2, h, w), 1f, 3.0));
        float[] c = Values(cond), u = Values(uncond), actual = Values(result[0]);
        for (int ch = 0; ch < 2; ch++)
        {
            var g = new double[h, w];
            for (int i = 0; i < h * w; i++)
            {
                g[i / w, i % w] = c[(ch * h * w) + i] - u[(ch * h * w) + i];
            }
            double[,] filtered = FrescaByHand(g, 0.5, 1.75, cutoff);
            for (int i = 0; i < h * w; i++)
            {
                Assert.Equal(filtered[i / w, i % w] + u[(ch * h * w) + i], actual[(ch * h * w) + i], 4);
            }
        }
        // Both factors 1: the guidance and so the positive prediction come back unchanged.
        Close(cond, GuidanceReshaping.FreSca(1.0, 1.0, cutoff)([cond, uncond], PreStep(zeros(1, 2, h, w), 1f, 3.0))[0], 1e-5);
    }

    [Fact]
    public void Mahiro_mixes_cfg_and_the_scaled_positive_by_signed_root_similarity()
    {
        double[] c = [1, -2, 0.5, 3], u = [0.25, 1, -1, 2];
        Tensor T(double[] v) => tensor(v.Select(e => (float)e).ToArray()).view(1, 2, 1, 2);
        const double scale = 3.0;
        Tensor result = GuidanceReshaping.Mahiro()(ModelPatchNodeTests.Step(zeros(1, 2, 1, 2), tensor(new[] { 1f }), T(c), T(u), scale));
        double[] cfg = Plus(u, Scale(Minus(c, u), scale)), leap = Scale(c, scale), uLeap = Scale(u, scale);
        double[] merge = Scale(Plus(leap, cfg), 0.5);
        double Root(double v) => Math.Sqrt(Math.Abs(v)) * Math.Sign(v);
        // Channels are elements [0, 2] and [1, 3] of pixels 0 and 1 (layout [1, 2, 1, 2]).
        double Cosine(int pixel)
        {
            double[] a = [Root(uLeap[pixel]), Root(uLeap[pixel + 2])], b = [Root(merge[pixel]), Root(merge[pixel + 2])];
            return Dot(a, b) / (Math.Sqrt(Dot(a, a)) * Math.Sqrt(Dot(b, b)));
        }
        double sim = (Cosine(0) + Cosine(1)) / 2, weight = 2 * (sim + 1);
        float[] actual = Values(result);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(((weight * cfg[i]) + ((4 - weight) * leap[i])) / 4, actual[i], 4);
        }
    }

    [Fact]
    public void Nodes_patch_sampling_deterministically_and_leave_cfg_one_alone_where_the_reference_skips()
    {
        Tensor plain = KSample(Model, cfg: 5.0);
        ModelPatcher Patched(ComfySharp.Abstractions.ComfyNode node, Dictionary<string, object?> values) =>
            One<ModelPatcher>(node, new Dictionary<string, object?>(values) { ["model"] = Model });
        var patched = new (string Name, ModelPatcher Model)[]
        {
            ("APG", Patched(new APG(), new() { ["eta"] = 0.5, ["norm_threshold"] = 2.0, ["momentum"] = 0.3 })),
            ("TCFG", Patched(new TCFG(), new())),
            ("FreSca", Patched(new FreSca(), new() { ["scale_low"] = 1.0, ["scale_high"] = 1.5, ["freq_cutoff"] = 2L })),
            ("Mahiro", Patched(new Mahiro(), new())),
        };
        foreach (var (name, model) in patched)
        {
            Tensor first = KSample(model, cfg: 5.0);
            Assert.True(first.isfinite().all().item<bool>(), name);
            Same(first, KSample(model, cfg: 5.0));
            Differs(plain, first);
        }
        // TCFG and FreSca skip a negative that cfg 1 did not evaluate.
        Tensor one = KSample(Model, cfg: 1.0);
        Same(one, KSample(patched[1].Model, cfg: 1.0));
        Same(one, KSample(patched[2].Model, cfg: 1.0));
        // FreSca with both factors 1 changes nothing but rounding.
        Close(plain, KSample(Patched(new FreSca(), new() { ["scale_low"] = 1.0, ["scale_high"] = 1.0, ["freq_cutoff"] = 2L }), cfg: 5.0), 1e-4);
    }
}
