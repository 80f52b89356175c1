using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The k-diffusion family samplers on a denoiser (x, σ) → x0, written after the published
/// algorithms as the reference runs them (default parameters, float32 σ arithmetic). Each takes
/// the already noise-scaled starting latent and the σ list and returns the final latent.
/// </summary>
public static class KDiffusionSamplers
{
    private static Tensor ToD(Tensor x, float sigma, Tensor denoised) => (x - denoised).Div(sigma);

    /// <summary>Euler (Karras et al. 2022, Algorithm 2 without churn).</summary>
    public static Tensor Euler(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor d = ToD(x, sigmas[i], denoised);
            ctx.Report(i, x, denoised, sigmas[i]);
            float dt = sigmas[i + 1] - sigmas[i];
            x = x.Add(d.Mul(dt)).MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Euler with ancestral noise (σ_down step, then fresh noise of size σ_up).</summary>
    public static Tensor EulerAncestral(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            var (down, up) = F32.AncestralStep(sigmas[i], sigmas[i + 1], eta);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (down == 0)
            {
                x = denoised.MoveToOuterDisposeScope();
            }
            else
            {
                Tensor d = ToD(x, sigmas[i], denoised);
                float dt = down - sigmas[i];
                x = x.Add(d.Mul(dt)).Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sNoise).Mul(up)).MoveToOuterDisposeScope();
            }
        }
        return x;
    }

    /// <summary>Euler ancestral with CFG++ (the step follows the unconditional prediction).</summary>
    public static Tensor EulerAncestralCfgPp(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor uncond = ctx.LastUncondDenoised ?? denoised;
            ctx.Report(i, x, denoised, sigmas[i]);
            if (sigmas[i + 1] == 0)
            {
                x = denoised.MoveToOuterDisposeScope();
                continue;
            }
            // For a discrete EPS model α = 1: the half-logSNR is −log σ, so α_s = σ·exp(−log σ).
            float alphaS = sigmas[i] * F32.Exp(-F32.Log(sigmas[i]));
            float alphaT = sigmas[i + 1] * F32.Exp(-F32.Log(sigmas[i + 1]));
            Tensor d = ToD(x, sigmas[i], uncond.Mul(alphaS));
            var (down, up) = F32.AncestralStep(sigmas[i] / alphaS, sigmas[i + 1] / alphaT, eta);
            down = alphaT * down;
            x = denoised.Mul(alphaT).Add(d.Mul(down));
            if (eta > 0 && sNoise > 0)
            {
                x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(alphaT).Mul(sNoise).Mul(up));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Heun's second-order method (Euler on the last step).</summary>
    public static Tensor Heun(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor d = ToD(x, sigmas[i], denoised);
            ctx.Report(i, x, denoised, sigmas[i]);
            float dt = sigmas[i + 1] - sigmas[i];
            if (sigmas[i + 1] == 0)
            {
                x = x.Add(d.Mul(dt));
            }
            else
            {
                Tensor x2 = x.Add(d.Mul(dt));
                Tensor denoised2 = ctx.Denoise(x2, sigmas[i + 1]);
                Tensor d2 = ToD(x2, sigmas[i + 1], denoised2);
                x = x.Add(d.Add(d2).Div(2).Mul(dt));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Heun++ (three evaluations weighted by σ, Heun near the end).</summary>
    public static Tensor HeunPp2(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        float sEnd = sigmas[^1];
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor d = ToD(x, sigmas[i], denoised);
            ctx.Report(i, x, denoised, sigmas[i]);
            float dt = sigmas[i + 1] - sigmas[i];
            if (sigmas[i + 1] == sEnd)
            {
                x = x.Add(d.Mul(dt));
            }
            else if (sigmas[i + 2] == sEnd)
            {
                Tensor x2 = x.Add(d.Mul(dt));
                Tensor denoised2 = ctx.Denoise(x2, sigmas[i + 1]);
                Tensor d2 = ToD(x2, sigmas[i + 1], denoised2);
                float w = 2 * sigmas[0];
                float w2 = sigmas[i + 1] / w;
                float w1 = 1 - w2;
                x = x.Add(d.Mul(w1).Add(d2.Mul(w2)).Mul(dt));
            }
            else
            {
                Tensor x2 = x.Add(d.Mul(dt));
                Tensor denoised2 = ctx.Denoise(x2, sigmas[i + 1]);
                Tensor d2 = ToD(x2, sigmas[i + 1], denoised2);
                float dt2 = sigmas[i + 2] - sigmas[i + 1];
                Tensor x3 = x2.Add(d2.Mul(dt2));
                Tensor denoised3 = ctx.Denoise(x3, sigmas[i + 2]);
                Tensor d3 = ToD(x3, sigmas[i + 2], denoised3);
                float w = 3 * sigmas[0];
                float w2 = sigmas[i + 1] / w;
                float w3 = sigmas[i + 2] / w;
                float w1 = 1 - w2 - w3;
                x = x.Add(d.Mul(w1).Add(d2.Mul(w2)).Add(d3.Mul(w3)).Mul(dt));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>DPM-Solver-2 style midpoint steps (log-σ midpoint).</summary>
    public static Tensor Dpm2(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor d = ToD(x, sigmas[i], denoised);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (sigmas[i + 1] == 0)
            {
                x = x.Add(d.Mul(sigmas[i + 1] - sigmas[i]));
            }
            else
            {
                float logA = F32.Log(sigmas[i]);
                float sigmaMid = F32.Exp(logA + 0.5f * (F32.Log(sigmas[i + 1]) - logA));
                Tensor x2 = x.Add(d.Mul(sigmaMid - sigmas[i]));
                Tensor denoised2 = ctx.Denoise(x2, sigmaMid);
                Tensor d2 = ToD(x2, sigmaMid, denoised2);
                x = x.Add(d2.Mul(sigmas[i + 1] - sigmas[i]));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>DPM-Solver-2 midpoint steps towards σ_down plus ancestral noise.</summary>
    public static Tensor Dpm2Ancestral(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            var (down, up) = F32.AncestralStep(sigmas[i], sigmas[i + 1], eta);
            ctx.Report(i, x, denoised, sigmas[i]);
            Tensor d = ToD(x, sigmas[i], denoised);
            if (down == 0)
            {
                x = x.Add(d.Mul(down - sigmas[i]));
            }
            else
            {
                float logA = F32.Log(sigmas[i]);
                float sigmaMid = F32.Exp(logA + 0.5f * (F32.Log(down) - logA));
                Tensor x2 = x.Add(d.Mul(sigmaMid - sigmas[i]));
                Tensor denoised2 = ctx.Denoise(x2, sigmaMid);
                Tensor d2 = ToD(x2, sigmaMid, denoised2);
                x = x.Add(d2.Mul(down - sigmas[i]));
                x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sNoise).Mul(up));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Linear multistep (order 4) with coefficients integrated over σ.</summary>
    public static Tensor Lms(SamplerContext ctx, Tensor x, float[] sigmas, int order = 4)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        var ds = new List<Tensor>();
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                ds.Add(ToD(x, sigmas[i], denoised).DetachFromDisposeScope());
                if (ds.Count > order)
                {
                    ds[0].Dispose();
                    ds.RemoveAt(0);
                }
                ctx.Report(i, x, denoised, sigmas[i]);
                if (sigmas[i + 1] == 0)
                {
                    x = denoised.MoveToOuterDisposeScope();
                    continue;
                }
                int curOrder = Math.Min(i + 1, order);
                Tensor next = x;
                for (int j = 0; j < curOrder; j++)
                {
                    double coeff = LinearMultistepCoeff(curOrder, sigmas, i, j);
                    next = next.Add(ds[ds.Count - 1 - j].Mul(coeff));
                }
                x = next.MoveToOuterDisposeScope();
            }
        }
        finally
        {
            ds.ForEach(d => d.Dispose());
        }
        return x;
    }

    /// <summary>∫ of the j-th Lagrange basis polynomial over [σ_i, σ_{i+1}] (Gauss-Legendre, exact for these degrees).</summary>
    internal static double LinearMultistepCoeff(int order, float[] t, int i, int j)
    {
        double Basis(double tau)
        {
            double prod = 1;
            for (int k = 0; k < order; k++)
            {
                if (k != j)
                {
                    prod *= (tau - t[i - k]) / ((double)t[i - j] - t[i - k]);
                }
            }
            return prod;
        }
        ReadOnlySpan<double> nodes = [-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640];
        ReadOnlySpan<double> weights = [0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891];
        double a = t[i], b = t[i + 1];
        double sum = 0;
        for (int n = 0; n < nodes.Length; n++)
        {
            sum += weights[n] * Basis(0.5 * (b - a) * nodes[n] + 0.5 * (a + b));
        }
        return sum * 0.5 * (b - a);
    }

    /// <summary>DPM-Solver++(2S) with ancestral noise.</summary>
    public static Tensor Dpmpp2SAncestral(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f, bool cfgPp = false)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor uncond = cfgPp ? (ctx.LastUncondDenoised ?? denoised) : denoised;
            Tensor? guidance = cfgPp ? denoised - uncond : null;
            var (down, up) = F32.AncestralStep(sigmas[i], sigmas[i + 1], eta);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (down == 0)
            {
                Tensor d = ToD(x, sigmas[i], uncond);
                x = x.Add(d.Mul(down - sigmas[i]));
            }
            else
            {
                float t = -F32.Log(sigmas[i]);
                float tNext = -F32.Log(down);
                float h = tNext - t;
                float s = t + 0.5f * h;
                Tensor x2 = x.Mul(F32.Exp(-s) / F32.Exp(-t)) - uncond.Mul(F32.Expm1(-h * 0.5f));
                Tensor denoised2 = ctx.Denoise(x2, F32.Exp(-s));
                if (cfgPp)
                {
                    denoised2 = uncond; // CFG++ reuses the first unconditional prediction, as the reference does
                }
                x = x.Mul(F32.Exp(-tNext) / F32.Exp(-t)) - denoised2.Mul(F32.Expm1(-h));
            }
            if (sigmas[i + 1] > 0)
            {
                x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sNoise).Mul(up));
            }
            if (guidance is not null)
            {
                x = x.Add(guidance);
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>DPM-Solver++ (stochastic, two stages per step) with Brownian-tree noise.</summary>
    public static Tensor DpmppSde(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f, float r = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        using INoiseSampler noise = ctx.BrownianNoise(x, sigmas.Where(s => s > 0).Min(), sigmas.Max());
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (sigmas[i + 1] == 0)
            {
                x = denoised.MoveToOuterDisposeScope();
                continue;
            }
            float lambdaS = -F32.Log(sigmas[i]);
            float lambdaT = -F32.Log(sigmas[i + 1]);
            float h = lambdaT - lambdaS;
            float lambdaS1 = lambdaS + r * h;
            float fac = 1 / (2 * r);
            float sigmaS1 = F32.Exp(-lambdaS1);
            float alphaS = sigmas[i] * F32.Exp(lambdaS);
            float alphaS1 = sigmaS1 * F32.Exp(lambdaS1);
            float alphaT = sigmas[i + 1] * F32.Exp(lambdaT);

            var (sd, su) = F32.AncestralStep(F32.Exp(-lambdaS), F32.Exp(-lambdaS1), eta);
            float h_ = -F32.Log(sd) - lambdaS;
            Tensor x2 = x.Mul(alphaS1 / alphaS * F32.Exp(-h_)) - denoised.Mul(alphaS1 * F32.Expm1(-h_));
            if (eta > 0 && sNoise > 0)
            {
                x2 = x2.Add(noise.Next(sigmas[i], sigmaS1).Mul(alphaS1).Mul(sNoise).Mul(su));
            }
            Tensor denoised2 = ctx.Denoise(x2, sigmaS1);

            (sd, su) = F32.AncestralStep(F32.Exp(-lambdaS), F32.Exp(-lambdaT), eta);
            h_ = -F32.Log(sd) - lambdaS;
            Tensor denoisedD = denoised.Mul(1 - fac).Add(denoised2.Mul(fac));
            x = x.Mul(alphaT / alphaS * F32.Exp(-h_)) - denoisedD.Mul(alphaT * F32.Expm1(-h_));
            if (eta > 0 && sNoise > 0)
            {
                x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(alphaT).Mul(sNoise).Mul(su));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>DPM-Solver++(2M): second-order multistep in log σ.</summary>
    public static Tensor Dpmpp2M(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        Tensor? oldDenoised = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                ctx.Report(i, x, denoised, sigmas[i]);
                float t = -F32.Log(sigmas[i]);
                float tNext = -F32.Log(sigmas[i + 1]);
                float h = tNext - t;
                float ratio = F32.Exp(-tNext) / F32.Exp(-t);
                float phi = F32.Expm1(-h);
                if (oldDenoised is null || sigmas[i + 1] == 0)
                {
                    x = x.Mul(ratio) - denoised.Mul(phi);
                }
                else
                {
                    float hLast = t - -F32.Log(sigmas[i - 1]);
                    float r = hLast / h;
                    Tensor denoisedD = denoised.Mul(1 + 1 / (2 * r)) - oldDenoised.Mul(1 / (2 * r));
                    x = x.Mul(ratio) - denoisedD.Mul(phi);
                }
                x = x.MoveToOuterDisposeScope();
                oldDenoised?.Dispose();
                oldDenoised = denoised.DetachFromDisposeScope();
            }
        }
        finally
        {
            oldDenoised?.Dispose();
        }
        return x;
    }

    /// <summary>DPM-Solver++(2M) with CFG++.</summary>
    public static Tensor Dpmpp2MCfgPp(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        Tensor? oldUncond = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                Tensor uncond = ctx.LastUncondDenoised ?? denoised;
                ctx.Report(i, x, denoised, sigmas[i]);
                float t = -F32.Log(sigmas[i]);
                float tNext = -F32.Log(sigmas[i + 1]);
                float h = tNext - t;
                Tensor mix;
                if (oldUncond is null || sigmas[i + 1] == 0)
                {
                    mix = uncond.Mul(-F32.Exp(-h));
                }
                else
                {
                    float hLast = t - -F32.Log(sigmas[i - 1]);
                    float r = hLast / h;
                    mix = uncond.Mul(-F32.Exp(-h)) - (denoised - oldUncond).Mul(F32.Expm1(-h) * (1 / (2 * r)));
                }
                x = denoised.Add(mix).Add(x.Mul(F32.Exp(-h))).MoveToOuterDisposeScope();
                oldUncond?.Dispose();
                oldUncond = uncond.clone().DetachFromDisposeScope();
            }
        }
        finally
        {
            oldUncond?.Dispose();
        }
        return x;
    }

    /// <summary>DPM-Solver++(2M) SDE (midpoint or Heun correction) with Brownian-tree noise.</summary>
    public static Tensor Dpmpp2MSde(SamplerContext ctx, Tensor x, float[] sigmas, bool heun, float eta = 1f, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        using INoiseSampler noise = ctx.BrownianNoise(x, sigmas.Where(s => s > 0).Min(), sigmas.Max());
        Tensor? oldDenoised = null;
        float? hLast = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                ctx.Report(i, x, denoised, sigmas[i]);
                float? h = null;
                if (sigmas[i + 1] == 0)
                {
                    x = denoised.clone(); // denoised is kept as history and disposed separately
                }
                else
                {
                    float lambdaS = -F32.Log(sigmas[i]);
                    float lambdaT = -F32.Log(sigmas[i + 1]);
                    float hh = lambdaT - lambdaS;
                    h = hh;
                    float hEta = hh * (eta + 1);
                    float alphaT = sigmas[i + 1] * F32.Exp(lambdaT);
                    float phi = -F32.Expm1(-hEta);
                    x = x.Mul(sigmas[i + 1] / sigmas[i] * F32.Exp(-hh * eta)).Add(denoised.Mul(alphaT * phi));
                    if (oldDenoised is not null && hLast is { } last)
                    {
                        float r = last / hh;
                        x = heun
                            ? x.Add((denoised - oldDenoised).Mul(alphaT * (phi / -hEta + 1) * (1 / r)))
                            : x.Add((denoised - oldDenoised).Mul(0.5f * alphaT * phi * (1 / r)));
                    }
                    if (eta > 0 && sNoise > 0)
                    {
                        x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sigmas[i + 1] * F32.Sqrt(-F32.Expm1(-2 * hh * eta)) * sNoise));
                    }
                }
                x = x.MoveToOuterDisposeScope();
                oldDenoised?.Dispose();
                oldDenoised = denoised.DetachFromDisposeScope();
                hLast = h;
            }
        }
        finally
        {
            oldDenoised?.Dispose();
        }
        return x;
    }

    /// <summary>DPM-Solver++(3M) SDE with Brownian-tree noise.</summary>
    public static Tensor Dpmpp3MSde(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        using INoiseSampler noise = ctx.BrownianNoise(x, sigmas.Where(s => s > 0).Min(), sigmas.Max());
        Tensor? denoised1 = null, denoised2 = null;
        float? h1 = null, h2 = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                ctx.Report(i, x, denoised, sigmas[i]);
                float? h = null;
                if (sigmas[i + 1] == 0)
                {
                    x = denoised.clone(); // denoised is kept as history and disposed separately
                }
                else
                {
                    float lambdaS = -F32.Log(sigmas[i]);
                    float lambdaT = -F32.Log(sigmas[i + 1]);
                    float hh = lambdaT - lambdaS;
                    h = hh;
                    float hEta = hh * (eta + 1);
                    float alphaT = sigmas[i + 1] * F32.Exp(lambdaT);
                    x = x.Mul(sigmas[i + 1] / sigmas[i] * F32.Exp(-hh * eta)).Add(denoised.Mul(alphaT * -F32.Expm1(-hEta)));
                    if (h2 is { } hTwo && h1 is { } hOne && denoised1 is not null && denoised2 is not null)
                    {
                        float r0 = hOne / hh;
                        float r1 = hTwo / hh;
                        Tensor d10 = (denoised - denoised1).Div(r0);
                        Tensor d11 = (denoised1 - denoised2).Div(r1);
                        Tensor d1 = d10.Add((d10 - d11).Mul(r0 / (r0 + r1)));
                        Tensor d2 = (d10 - d11).Div(r0 + r1);
                        float phi2 = F32.Expm1(-hEta) / hEta + 1;
                        float phi3 = phi2 / hEta - 0.5f;
                        x = x.Add(d1.Mul(alphaT * phi2)) - d2.Mul(alphaT * phi3);
                    }
                    else if (h1 is { } hOnly && denoised1 is not null)
                    {
                        float r = hOnly / hh;
                        Tensor d = (denoised - denoised1).Div(r);
                        float phi2 = F32.Expm1(-hEta) / hEta + 1;
                        x = x.Add(d.Mul(alphaT * phi2));
                    }
                    if (eta > 0 && sNoise > 0)
                    {
                        x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sigmas[i + 1] * F32.Sqrt(-F32.Expm1(-2 * hh * eta)) * sNoise));
                    }
                }
                x = x.MoveToOuterDisposeScope();
                denoised2?.Dispose();
                denoised2 = denoised1;
                denoised1 = denoised.DetachFromDisposeScope();
                h2 = h1;
                h1 = h;
            }
        }
        finally
        {
            denoised1?.Dispose();
            denoised2?.Dispose();
        }
        return x;
    }

    /// <summary>DDPM ancestral steps on the variance-preserving latent.</summary>
    public static Tensor Ddpm(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            float sigma = sigmas[i], sigmaPrev = sigmas[i + 1];
            Tensor xv = x.Div(F32.Sqrt(1f + sigma * sigma));
            Tensor eps = (x - denoised).Div(sigma);
            float alphaCumprod = 1 / (sigma * sigma + 1);
            float alphaCumprodPrev = 1 / (sigmaPrev * sigmaPrev + 1);
            float alpha = alphaCumprod / alphaCumprodPrev;
            Tensor mu = (xv - eps.Mul((1 - alpha) / F32.Sqrt(1 - alphaCumprod))).Mul(F32.Sqrt(1f / alpha));
            if (sigmaPrev > 0)
            {
                mu = mu.Add(noise.Next(sigma, sigmaPrev).Mul(F32.Sqrt((1 - alpha) * (1f - alphaCumprodPrev) / (1f - alphaCumprod))));
            }
            x = sigmas[i + 1] != 0 ? mu.Mul(F32.Sqrt(1f + sigmas[i + 1] * sigmas[i + 1])) : mu;
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>LCM: jump to the prediction, then re-noise to the next σ.</summary>
    public static Tensor Lcm(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            x = denoised;
            if (sigmas[i + 1] > 0)
            {
                x = noise.Next(sigmas[i], sigmas[i + 1]).Mul(sigmas[i + 1]).Add(x);
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Improved pseudo-numerical (iPNDM) multistep, fixed (ipndm) or variable-step (ipndm_v) coefficients.</summary>
    public static Tensor Ipndm(SamplerContext ctx, Tensor x, float[] sigmas, bool variableStep, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        var buffer = new List<Tensor>();
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                float tCur = sigmas[i], tNext = sigmas[i + 1];
                Tensor denoised = ctx.Denoise(x, tCur);
                ctx.Report(i, x, denoised, tCur);
                Tensor dCur = (x - denoised).Div(tCur);
                int order = Math.Min(maxOrder, i + 1);
                float step = tNext - tCur;
                if (tNext == 0)
                {
                    x = denoised;
                }
                else if (order == 1)
                {
                    x = x.Add(dCur.Mul(step));
                }
                else if (!variableStep)
                {
                    x = order switch
                    {
                        2 => x.Add((dCur.Mul(3) - buffer[^1]).Div(2).Mul(step)),
                        3 => x.Add((dCur.Mul(23) - buffer[^1].Mul(16)).Add(buffer[^2].Mul(5)).Div(12).Mul(step)),
                        _ => x.Add(((dCur.Mul(55) - buffer[^1].Mul(59)).Add(buffer[^2].Mul(37)) - buffer[^3].Mul(9)).Div(24).Mul(step)),
                    };
                }
                else
                {
                    x = x.Add(IpndmVariableUpdate(sigmas, i, order, dCur, buffer).Mul(step));
                }
                x = x.MoveToOuterDisposeScope();
                if (buffer.Count == maxOrder - 1)
                {
                    buffer[0].Dispose();
                    buffer.RemoveAt(0);
                }
                buffer.Add(dCur.DetachFromDisposeScope());
            }
        }
        finally
        {
            buffer.ForEach(b => b.Dispose());
        }
        return x;
    }

    private static Tensor IpndmVariableUpdate(float[] t, int i, int order, Tensor dCur, List<Tensor> buffer)
    {
        float hn = t[i + 1] - t[i];
        float hn1 = t[i] - t[i - 1];
        if (order == 2)
        {
            float c1 = (2 + hn / hn1) / 2;
            float c2 = -(hn / hn1) / 2;
            return dCur.Mul(c1).Add(buffer[^1].Mul(c2));
        }
        float hn2 = t[i - 1] - t[i - 2];
        float temp1 = (1 - hn / (3 * (hn + hn1)) * (hn * (hn + hn1)) / (hn1 * (hn1 + hn2))) / 2;
        if (order == 3)
        {
            float c1 = (2 + hn / hn1) / 2 + temp1;
            float c2 = -(hn / hn1) / 2 - (1 + hn1 / hn2) * temp1;
            float c3 = temp1 * hn1 / hn2;
            return dCur.Mul(c1).Add(buffer[^1].Mul(c2)).Add(buffer[^2].Mul(c3));
        }
        float hn3 = t[i - 2] - t[i - 3];
        float temp2 = ((1 - hn / (3 * (hn + hn1))) / 2 + (1 - hn / (2 * (hn + hn1))) * hn / (6 * (hn + hn1 + hn2)))
            * (hn * (hn + hn1) * (hn + hn1 + hn2)) / (hn1 * (hn1 + hn2) * (hn1 + hn2 + hn3));
        float k = hn1 * (hn1 + hn2) / (hn2 * (hn2 + hn3));
        float d1 = (2 + hn / hn1) / 2 + temp1 + temp2;
        float d2 = -(hn / hn1) / 2 - (1 + hn1 / hn2) * temp1 - (1 + hn1 / hn2 + k) * temp2;
        float d3 = temp1 * hn1 / hn2 + (hn1 / hn2 + k * (1 + hn2 / hn3)) * temp2;
        float d4 = -temp2 * k * hn1 / hn2;
        return dCur.Mul(d1).Add(buffer[^1].Mul(d2)).Add(buffer[^2].Mul(d3)).Add(buffer[^3].Mul(d4));
    }

    /// <summary>DEIS (time-integrated Adams-Bashforth in the VP time variable, order 3).</summary>
    public static Tensor Deis(SamplerContext ctx, Tensor x, float[] sigmas, int maxOrder = 3)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        double[][] coeffs = DeisCoefficients.Tab(sigmas, maxOrder);
        var buffer = new List<Tensor>();
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                float tCur = sigmas[i], tNext = sigmas[i + 1];
                Tensor denoised = ctx.Denoise(x, tCur);
                ctx.Report(i, x, denoised, tCur);
                Tensor dCur = (x - denoised).Div(tCur);
                int order = Math.Min(maxOrder, i + 1);
                if (tNext <= 0)
                {
                    order = 1;
                }
                if (order == 1)
                {
                    x = x.Add(dCur.Mul(tNext - tCur));
                }
                else
                {
                    double[] c = coeffs[i];
                    Tensor next = x.Add(dCur.Mul(c[0]));
                    for (int k = 1; k < order; k++)
                    {
                        next = next.Add(buffer[^k].Mul(c[k]));
                    }
                    x = next;
                }
                x = x.MoveToOuterDisposeScope();
                if (buffer.Count == maxOrder - 1)
                {
                    buffer[0].Dispose();
                    buffer.RemoveAt(0);
                }
                buffer.Add(dCur.DetachFromDisposeScope());
            }
        }
        finally
        {
            buffer.ForEach(b => b.Dispose());
        }
        return x;
    }

    /// <summary>RES multistep (second-order exponential integrator), optionally ancestral and/or CFG++.</summary>
    public static Tensor ResMultistep(SamplerContext ctx, Tensor x, float[] sigmas, float eta, bool cfgPp, float sNoise = 1f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        Tensor? oldDenoised = null;
        float oldSigmaDown = 0;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                Tensor uncond = cfgPp ? (ctx.LastUncondDenoised ?? denoised) : denoised;
                var (down, up) = F32.AncestralStep(sigmas[i], sigmas[i + 1], eta);
                ctx.Report(i, x, denoised, sigmas[i]);
                if (down == 0 || oldDenoised is null)
                {
                    if (cfgPp)
                    {
                        Tensor d = ToD(x, sigmas[i], uncond);
                        x = denoised.Add(d.Mul(down));
                    }
                    else
                    {
                        Tensor d = ToD(x, sigmas[i], denoised);
                        x = x.Add(d.Mul(down - sigmas[i]));
                    }
                }
                else
                {
                    float t = -F32.Log(sigmas[i]);
                    float tOld = -F32.Log(oldSigmaDown);
                    float tNext = -F32.Log(down);
                    float tPrev = -F32.Log(sigmas[i - 1]);
                    float h = tNext - t;
                    float c2 = (tPrev - tOld) / h;
                    float phi1 = F32.Expm1(-h) / -h;
                    float phi2 = (phi1 - 1f) / -h;
                    float b1 = NanToZero(phi1 - phi2 / c2);
                    float b2 = NanToZero(phi2 / c2);
                    if (cfgPp)
                    {
                        x = x.Add(denoised - uncond);
                        x = x.Mul(F32.Exp(-h)).Add(uncond.Mul(b1).Add(oldDenoised.Mul(b2)).Mul(h));
                    }
                    else
                    {
                        x = x.Mul(F32.Exp(-h)).Add(denoised.Mul(b1).Add(oldDenoised.Mul(b2)).Mul(h));
                    }
                }
                if (sigmas[i + 1] > 0 && up > 0)
                {
                    x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(sNoise).Mul(up));
                }
                x = x.MoveToOuterDisposeScope();
                oldDenoised?.Dispose();
                oldDenoised = (cfgPp ? uncond.clone() : denoised).DetachFromDisposeScope();
                oldSigmaDown = down;
            }
        }
        finally
        {
            oldDenoised?.Dispose();
        }
        return x;
    }

    private static float NanToZero(float v) => float.IsNaN(v) ? 0f : v;

    /// <summary>Gradient estimation (Euler plus a correction from the previous derivative, γ = 2).</summary>
    public static Tensor GradientEstimation(SamplerContext ctx, Tensor x, float[] sigmas, bool cfgPp, float gamma = 2f)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        Tensor? oldD = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                Tensor d = ToD(x, sigmas[i], cfgPp ? (ctx.LastUncondDenoised ?? denoised) : denoised);
                ctx.Report(i, x, denoised, sigmas[i]);
                float dt = sigmas[i + 1] - sigmas[i];
                if (sigmas[i + 1] == 0)
                {
                    x = denoised.clone(); // denoised is kept as history and disposed separately
                }
                else
                {
                    x = cfgPp ? denoised.Add(d.Mul(sigmas[i + 1])) : x.Add(d.Mul(dt));
                    if (i >= 1 && oldD is not null)
                    {
                        x = x.Add((d - oldD).Mul(gamma - 1).Mul(dt));
                    }
                }
                x = x.MoveToOuterDisposeScope();
                oldD?.Dispose();
                oldD = d.DetachFromDisposeScope();
            }
        }
        finally
        {
            oldD?.Dispose();
        }
        return x;
    }

    /// <summary>Extended reverse-time SDE solver (ER-SDE-Solver-3).</summary>
    public static Tensor ErSde(SamplerContext ctx, Tensor x, float[] sigmas, float sNoise = 1f, int maxStage = 3)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        static float Scaler(float v) => v * (MathF.Exp(MathF.Pow(v, 0.3f)) + 10f);
        const int points = 200;
        float[] lambdas = sigmas.Select(s => F32.Exp(-(-F32.Log(s)))).ToArray();
        Tensor? oldDenoised = null, oldDenoisedD = null;
        try
        {
            for (int i = 0; i < sigmas.Length - 1; i++)
            {
                using var scope = NewDisposeScope();
                Tensor denoised = ctx.Denoise(x, sigmas[i]);
                ctx.Report(i, x, denoised, sigmas[i]);
                int stage = Math.Min(maxStage, i + 1);
                if (sigmas[i + 1] == 0)
                {
                    x = denoised.clone(); // denoised is kept as history and disposed separately
                }
                else
                {
                    float ls = lambdas[i], lt = lambdas[i + 1];
                    float alphaS = sigmas[i] / ls;
                    float alphaT = sigmas[i + 1] / lt;
                    float rAlpha = alphaT / alphaS;
                    float r = Scaler(lt) / Scaler(ls);
                    x = x.Mul(rAlpha * r).Add(denoised.Mul(alphaT * (1 - r)));
                    if (stage >= 2 && oldDenoised is not null)
                    {
                        float dt = lt - ls;
                        float stepSize = -dt / points;
                        double s = 0, su = 0;
                        for (int p = 0; p < points; p++)
                        {
                            float pos = lt + p * stepSize;
                            float scaled = Scaler(pos);
                            s += 1 / scaled;
                            su += (pos - ls) / scaled;
                        }
                        s *= stepSize;
                        su *= stepSize;
                        Tensor denoisedD = (denoised - oldDenoised).Div(ls - lambdas[i - 1]);
                        x = x.Add(denoisedD.Mul(alphaT * (dt + (float)s * Scaler(lt))));
                        if (stage >= 3 && oldDenoisedD is not null)
                        {
                            Tensor denoisedU = (denoisedD - oldDenoisedD).Div((ls - lambdas[i - 2]) / 2);
                            x = x.Add(denoisedU.Mul(alphaT * (dt * dt / 2 + (float)su * Scaler(lt))));
                        }
                        oldDenoisedD?.Dispose();
                        oldDenoisedD = denoisedD.DetachFromDisposeScope();
                    }
                    if (sNoise > 0)
                    {
                        float amount = F32.Sqrt(lt * lt - ls * ls * r * r);
                        if (!float.IsNaN(amount))
                        {
                            x = x.Add(noise.Next(sigmas[i], sigmas[i + 1]).Mul(alphaT * sNoise * amount));
                        }
                    }
                }
                x = x.MoveToOuterDisposeScope();
                oldDenoised?.Dispose();
                oldDenoised = denoised.DetachFromDisposeScope();
            }
        }
        finally
        {
            oldDenoised?.Dispose();
            oldDenoisedD?.Dispose();
        }
        return x;
    }

    private static float HPhi1(float h) => F32.Expm1(h);

    private static float HPhi2(float h) => (F32.Expm1(h) - h) / h;

    /// <summary>SEEDS-2 (stochastic exponential, two stages); with r = 1 and φ₂ it is exp_heun_2_x0(_sde).</summary>
    public static Tensor Seeds2(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f, float r = 0.5f, bool phi2Solver = false)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        bool inject = eta > 0 && sNoise > 0;
        float fac = 1 / (2 * r);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (sigmas[i + 1] == 0)
            {
                x = denoised.MoveToOuterDisposeScope();
                continue;
            }
            float lambdaS = -F32.Log(sigmas[i]), lambdaT = -F32.Log(sigmas[i + 1]);
            float h = lambdaT - lambdaS;
            float hEta = h * (eta + 1);
            float lambdaS1 = lambdaS + r * (lambdaT - lambdaS);
            float sigmaS1 = F32.Exp(-lambdaS1);
            float alphaS1 = sigmaS1 * F32.Exp(lambdaS1);
            float alphaT = sigmas[i + 1] * F32.Exp(lambdaT);

            Tensor x2 = x.Mul(sigmaS1 / sigmas[i] * F32.Exp(-r * h * eta)) - denoised.Mul(alphaS1 * HPhi1(-r * hEta));
            Tensor? sdeNoise = null;
            if (inject)
            {
                sdeNoise = noise.Next(sigmas[i], sigmaS1).Mul(F32.Sqrt(-F32.Expm1(-2 * r * h * eta)));
                x2 = x2.Add(sdeNoise.Mul(sigmaS1).Mul(sNoise));
            }
            Tensor denoised2 = ctx.Denoise(x2, sigmaS1);
            if (!phi2Solver)
            {
                Tensor denoisedD = denoised.Add((denoised2 - denoised).Mul(fac));
                x = x.Mul(sigmas[i + 1] / sigmas[i] * F32.Exp(-h * eta)) - denoisedD.Mul(alphaT * HPhi1(-hEta));
            }
            else
            {
                float b2 = HPhi2(-hEta) / r;
                float b1 = HPhi1(-hEta) - b2;
                x = x.Mul(sigmas[i + 1] / sigmas[i] * F32.Exp(-h * eta)) - denoised.Mul(b1).Add(denoised2.Mul(b2)).Mul(alphaT);
            }
            if (inject && sdeNoise is not null)
            {
                float segment = (r - 1) * h * eta;
                sdeNoise = sdeNoise.Mul(F32.Exp(segment)).Add(noise.Next(sigmaS1, sigmas[i + 1]).Mul(F32.Sqrt(-F32.Expm1(segment * 2))));
                x = x.Add(sdeNoise.Mul(sigmas[i + 1]).Mul(sNoise));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>SEEDS-3 (stochastic exponential, three stages).</summary>
    public static Tensor Seeds3(SamplerContext ctx, Tensor x, float[] sigmas, float eta = 1f, float sNoise = 1f, float r1 = 1f / 3, float r2 = 2f / 3)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        bool inject = eta > 0 && sNoise > 0;
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            if (sigmas[i + 1] == 0)
            {
                x = denoised.MoveToOuterDisposeScope();
                continue;
            }
            float lambdaS = -F32.Log(sigmas[i]), lambdaT = -F32.Log(sigmas[i + 1]);
            float h = lambdaT - lambdaS;
            float hEta = h * (eta + 1);
            float lambdaS1 = lambdaS + r1 * (lambdaT - lambdaS);
            float lambdaS2 = lambdaS + r2 * (lambdaT - lambdaS);
            float sigmaS1 = F32.Exp(-lambdaS1), sigmaS2 = F32.Exp(-lambdaS2);
            float alphaS1 = sigmaS1 * F32.Exp(lambdaS1);
            float alphaS2 = sigmaS2 * F32.Exp(lambdaS2);
            float alphaT = sigmas[i + 1] * F32.Exp(lambdaT);

            Tensor x2 = x.Mul(sigmaS1 / sigmas[i] * F32.Exp(-r1 * h * eta)) - denoised.Mul(alphaS1 * HPhi1(-r1 * hEta));
            Tensor? sdeNoise = null;
            if (inject)
            {
                sdeNoise = noise.Next(sigmas[i], sigmaS1).Mul(F32.Sqrt(-F32.Expm1(-2 * r1 * h * eta)));
                x2 = x2.Add(sdeNoise.Mul(sigmaS1).Mul(sNoise));
            }
            Tensor denoised2 = ctx.Denoise(x2, sigmaS1);

            float a32 = r2 / r1 * HPhi2(-r2 * hEta);
            float a31 = HPhi1(-r2 * hEta) - a32;
            Tensor x3 = x.Mul(sigmaS2 / sigmas[i] * F32.Exp(-r2 * h * eta)) - denoised.Mul(a31).Add(denoised2.Mul(a32)).Mul(alphaS2);
            if (inject && sdeNoise is not null)
            {
                float segment = (r1 - r2) * h * eta;
                sdeNoise = sdeNoise.Mul(F32.Exp(segment)).Add(noise.Next(sigmaS1, sigmaS2).Mul(F32.Sqrt(-F32.Expm1(segment * 2))));
                x3 = x3.Add(sdeNoise.Mul(sigmaS2).Mul(sNoise));
            }
            Tensor denoised3 = ctx.Denoise(x3, sigmaS2);

            float b3 = HPhi2(-hEta) / r2;
            float b1 = HPhi1(-hEta) - b3;
            x = x.Mul(sigmas[i + 1] / sigmas[i] * F32.Exp(-h * eta)) - denoised.Mul(b1).Add(denoised3.Mul(b3)).Mul(alphaT);
            if (inject && sdeNoise is not null)
            {
                float segment = (r2 - 1) * h * eta;
                sdeNoise = sdeNoise.Mul(F32.Exp(segment)).Add(noise.Next(sigmaS2, sigmas[i + 1]).Mul(F32.Sqrt(-F32.Expm1(segment * 2))));
                x = x.Add(sdeNoise.Mul(sigmas[i + 1]).Mul(sNoise));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }
}
