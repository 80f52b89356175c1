using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The σ schedules of the custom-sampling scheduler nodes that KSampler's list does not offer.
/// Each mirrors the reference's float32 tensor formula, so the values agree bit for bit.
/// </summary>
public static class CustomSchedules
{
    /// <summary>Align Your Steps noise levels (11 values each) of the reference, by model type.</summary>
    public static IReadOnlyDictionary<string, double[]> AlignYourStepsLevels { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal)
    {
        ["SD1"] = [14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177, 1.3943805092, 0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0291671582],
        ["SDXL"] = [14.6146412293, 6.3184485287, 3.7681790315, 2.1811480769, 1.3405244945, 0.8620721141, 0.5550693289, 0.3798540708, 0.2332364134, 0.1114188177, 0.0291671582],
        ["SVD"] = [700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034, 0.002],
    };

    /// <summary>Optimal Stepsize noise levels (Pei et al. 2025, the reference's nodes_optimalsteps table) for flow models, by model type.</summary>
    public static IReadOnlyDictionary<string, double[]> OptimalStepsLevels { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal)
    {
        ["FLUX"] = [0.9968, 0.9886, 0.9819, 0.975, 0.966, 0.9471, 0.9158, 0.8287, 0.5512, 0.2808, 0.001],
        ["Wan"] = [1.0, 0.997, 0.995, 0.993, 0.991, 0.989, 0.987, 0.985, 0.98, 0.975, 0.973, 0.968, 0.96, 0.946, 0.927, 0.902, 0.864, 0.776, 0.539, 0.208, 0.001],
        ["Chroma"] =
        [
            0.992, 0.99, 0.988, 0.985, 0.982, 0.978, 0.973, 0.968, 0.961, 0.953, 0.943, 0.931, 0.917, 0.9, 0.881, 0.858, 0.832, 0.802, 0.769, 0.731,
            0.69, 0.646, 0.599, 0.55, 0.501, 0.451, 0.402, 0.355, 0.311, 0.27, 0.232, 0.199, 0.169, 0.143, 0.12, 0.101, 0.084, 0.07, 0.058, 0.048, 0.001,
        ],
    };

    /// <summary>Polynomial in log σ: exp(ramp^ρ·(log σmax − log σmin) + log σmin), ramp from 1 to 0, then 0.</summary>
    public static float[] Polyexponential(int n, double sigmaMin, double sigmaMax, double rho)
    {
        using var scope = NewDisposeScope();
        Tensor ramp = linspace(1, 0, n).Pow(rho);
        Tensor sigmas = ramp.Mul(Math.Log(sigmaMax) - Math.Log(sigmaMin)).Add(Math.Log(sigmaMin)).exp();
        return AppendZero(sigmas);
    }

    /// <summary>Continuous variance-preserving schedule: sqrt(expm1(β_d·t²/2 + β_min·t)), t from 1 to ε_s, then 0.</summary>
    public static float[] VariancePreserving(int n, double betaD, double betaMin, double epsS)
    {
        using var scope = NewDisposeScope();
        Tensor t = linspace(1, epsS, n);
        Tensor exponent = t.Pow(2).Mul(betaD).Div(2).Add(t.Mul(betaMin));
        return AppendZero(exponent.expm1().sqrt());
    }

    /// <summary>The Laplace schedule (n values, no final 0, as the reference returns it), clamped to [σmin, σmax].</summary>
    public static float[] Laplace(int n, double sigmaMin, double sigmaMax, double mu, double beta)
    {
        using var scope = NewDisposeScope();
        Tensor x = linspace(0, 1, n);
        Tensor centred = x.RSub(0.5);
        Tensor log = centred.abs().Mul(2).RSub(1).Add(1e-5).log();
        Tensor lambda = (centred.sign().Mul(beta) * log).RSub(mu);
        return lambda.exp().Clamp(sigmaMin, sigmaMax).data<float>().ToArray();
    }

    /// <summary>SD-Turbo: the timesteps 999, 899, … 99 from 10 − ⌊10·denoise⌋ on, <paramref name="steps"/> of them, then 0.</summary>
    public static float[] SdTurbo(ModelSamplingDiscrete sampling, int steps, double denoise)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        using var scope = NewDisposeScope();
        int start = 10 - (int)(10 * denoise);
        long[] timesteps = Enumerable.Range(1, 10).Select(i => (i * 100L) - 1).Reverse().Skip(start).Take(steps).ToArray();
        if (timesteps.Length == 0)
        {
            return [0f];
        }
        return AppendZero(sampling.Sigma(tensor(timesteps)));
    }

    /// <summary>Align Your Steps: the tabulated levels, log-linearly resampled to steps + 1, the last set to 0.</summary>
    public static float[] AlignYourSteps(string modelType, int steps, double denoise)
    {
        if (!AlignYourStepsLevels.TryGetValue(modelType, out double[]? levels))
        {
            throw new ArgumentException($"Unknown model type '{modelType}'.", nameof(modelType));
        }
        return ResampledTable(levels, steps, denoise);
    }

    /// <summary>Optimal Steps: the tabulated levels, log-linearly resampled to steps + 1, the last set to 0.</summary>
    public static float[] OptimalSteps(string modelType, int steps, double denoise)
    {
        if (!OptimalStepsLevels.TryGetValue(modelType, out double[]? levels))
        {
            throw new ArgumentException($"Unknown model type '{modelType}'.", nameof(modelType));
        }
        return ResampledTable(levels, steps, denoise);
    }

    private static float[] ResampledTable(double[] levels, int steps, double denoise)
    {
        int totalSteps = steps;
        if (denoise < 1.0)
        {
            if (denoise <= 0.0)
            {
                return [];
            }
            totalSteps = (int)Math.Round(steps * denoise, MidpointRounding.ToEven);
        }
        double[] sigmas = steps + 1 == levels.Length ? (double[])levels.Clone() : LogLinearInterpolate(levels, steps + 1);
        double[] kept = sigmas[Math.Max(0, sigmas.Length - (totalSteps + 1))..];
        kept[^1] = 0;
        return kept.Select(v => (float)v).ToArray();
    }

    /// <summary>Resamples decreasing values to <paramref name="count"/> points, linearly in log space.</summary>
    public static double[] LogLinearInterpolate(double[] values, int count)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] ys = values.Reverse().Select(v => Math.Log(v)).ToArray();
        int m = ys.Length;
        var result = new double[count];
        for (int i = 0; i < count; i++)
        {
            // numpy: linspace(0, 1, count) against xs = linspace(0, 1, m), then interp.
            double x = count == 1 ? 0.0 : (double)i / (count - 1);
            double position = x * (m - 1);
            int low = Math.Min((int)Math.Floor(position), m - 1);
            int high = Math.Min(low + 1, m - 1);
            double xLow = (double)low / (m - 1), xHigh = (double)high / (m - 1);
            double y = high == low ? ys[low] : ys[low] + ((ys[high] - ys[low]) * (x - xLow) / (xHigh - xLow));
            result[count - 1 - i] = Math.Exp(y);
        }
        return result;
    }

    private static float[] AppendZero(Tensor sigmas) => [.. sigmas.data<float>().ToArray(), 0f];
}
