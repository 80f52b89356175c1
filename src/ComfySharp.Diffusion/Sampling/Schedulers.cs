using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The scheduler options of KSampler (NODES.md §4.2): each turns a step count into steps + 1
/// decreasing σ values ending in 0. Float32 tensor ops mirror the reference's formulas so the
/// schedules match bit for bit.
/// </summary>
public static class Schedulers
{
    /// <summary>Scheduler names in the reference's order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"];

    /// <summary>σ values for <paramref name="steps"/> steps of scheduler <paramref name="name"/>.</summary>
    public static float[] Calculate(ModelSamplingDiscrete sampling, string name, int steps)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        using var scope = NewDisposeScope();
        return name switch
        {
            "simple" => Simple(sampling, steps),
            "sgm_uniform" => Normal(sampling, steps, sgm: true),
            "karras" => Karras(steps, sampling.SigmaMin, sampling.SigmaMax),
            "exponential" => Exponential(steps, sampling.SigmaMin, sampling.SigmaMax),
            "ddim_uniform" => DdimUniform(sampling, steps),
            "beta" => Beta(sampling, steps),
            "normal" => Normal(sampling, steps, sgm: false),
            "linear_quadratic" => LinearQuadratic(sampling, steps),
            "kl_optimal" => KlOptimal(steps, sampling.SigmaMin, sampling.SigmaMax),
            _ => Simple(sampling, steps), // validation keeps unknown names out; the first entry is the fallback
        };
    }

    private static float[] AppendZero(IEnumerable<float> values) => values.Append(0f).ToArray();

    private static float[] Simple(ModelSamplingDiscrete s, int steps)
    {
        int n = s.Sigmas.Count;
        double stride = (double)n / steps;
        var sigs = new List<float>();
        for (int x = 0; x < steps; x++)
        {
            sigs.Add(s.Sigmas[n - 1 - (int)(x * stride)]);
        }
        return AppendZero(sigs);
    }

    private static float[] DdimUniform(ModelSamplingDiscrete s, int steps)
    {
        int n = s.Sigmas.Count;
        var sigs = new List<float>();
        bool appendZero = true;
        if (Math.Abs(s.Sigmas[1]) <= 0.00001)
        {
            steps += 1;
            appendZero = false;
        }
        int stride = Math.Max(n / steps, 1);
        for (int x = 1; x < n; x += stride)
        {
            sigs.Add(s.Sigmas[x]);
        }
        sigs.Reverse();
        return appendZero ? AppendZero(sigs) : sigs.ToArray();
    }

    private static float[] Normal(ModelSamplingDiscrete s, int steps, bool sgm)
    {
        double start = s.TimestepOf(s.SigmaMax);
        double end = s.TimestepOf(s.SigmaMin);
        bool appendZero = true;
        Tensor timesteps;
        if (sgm)
        {
            timesteps = linspace(start, end, steps + 1)[..^1];
        }
        else
        {
            if (Math.Abs(s.Sigma(end)) <= 0.00001)
            {
                steps += 1;
                appendZero = false;
            }
            timesteps = linspace(start, end, steps);
        }
        float[] sigs = s.Sigma(timesteps).data<float>().ToArray();
        return appendZero ? AppendZero(sigs) : sigs;
    }

    /// <summary>Karras et al. (2022) schedule with ρ = 7.</summary>
    public static float[] Karras(int n, double sigmaMin, double sigmaMax, double rho = 7.0)
    {
        using var scope = NewDisposeScope();
        Tensor ramp = linspace(0, 1, n);
        double minInvRho = Math.Pow(sigmaMin, 1 / rho);
        double maxInvRho = Math.Pow(sigmaMax, 1 / rho);
        Tensor sigmas = ramp.Mul(minInvRho - maxInvRho).Add(maxInvRho).Pow(rho);
        return AppendZero(sigmas.data<float>().ToArray());
    }

    /// <summary>Log-linear schedule.</summary>
    public static float[] Exponential(int n, double sigmaMin, double sigmaMax)
    {
        using var scope = NewDisposeScope();
        Tensor sigmas = linspace(Math.Log(sigmaMax), Math.Log(sigmaMin), n).exp();
        return AppendZero(sigmas.data<float>().ToArray());
    }

    /// <summary>The beta schedule: timesteps at the inverse CDF of Beta(α, β), duplicates dropped.</summary>
    public static float[] Beta(ModelSamplingDiscrete s, int steps, double alpha = 0.6, double beta = 0.6)
    {
        int total = s.Sigmas.Count - 1;
        var sigs = new List<float>();
        double last = -1;
        for (int i = 0; i < steps; i++)
        {
            // numpy: 1 - linspace(0, 1, steps, endpoint=False)
            double u = 1.0 - (i * (1.0 / steps));
            double t = Math.Round(BetaDistribution.InverseCdf(u, alpha, beta) * total, MidpointRounding.ToEven);
            if (t != last)
            {
                sigs.Add(s.Sigmas[(int)t]);
            }
            last = t;
        }
        return AppendZero(sigs);
    }

    private static float[] LinearQuadratic(ModelSamplingDiscrete s, int steps, double thresholdNoise = 0.025)
    {
        List<double> schedule;
        if (steps == 1)
        {
            schedule = [1.0, 0.0];
        }
        else
        {
            int linearSteps = steps / 2;
            schedule = [];
            for (int i = 0; i < linearSteps; i++)
            {
                schedule.Add(i * thresholdNoise / linearSteps);
            }
            double thresholdNoiseStepDiff = linearSteps - thresholdNoise * steps;
            int quadraticSteps = steps - linearSteps;
            double quadraticCoef = thresholdNoiseStepDiff / (linearSteps * Math.Pow(quadraticSteps, 2));
            double linearCoef = thresholdNoise / linearSteps - 2 * thresholdNoiseStepDiff / Math.Pow(quadraticSteps, 2);
            double constant = quadraticCoef * Math.Pow(linearSteps, 2);
            for (int i = linearSteps; i < steps; i++)
            {
                schedule.Add(quadraticCoef * Math.Pow(i, 2) + linearCoef * i + constant);
            }
            schedule.Add(1.0);
            schedule = schedule.Select(x => 1.0 - x).ToList();
        }
        // FloatTensor(schedule) * sigma_max: the values are rounded to float32 before the product.
        float sigmaMax = s.SigmaMax;
        return schedule.Select(x => (float)x * sigmaMax).ToArray();
    }

    /// <summary>The KL-optimal schedule (tangent interpolation of atan σ).</summary>
    public static float[] KlOptimal(int n, double sigmaMin, double sigmaMax)
    {
        using var scope = NewDisposeScope();
        Tensor idx = ScalarMath.Arange(n, ScalarType.Float32).DivInPlace(n - 1);
        Tensor sigmas = idx.Mul(Math.Atan(sigmaMin)).Add(idx.RSub(1).Mul(Math.Atan(sigmaMax))).tan_();
        return AppendZero(sigmas.data<float>().ToArray());
    }
}
