using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

// DPM-Solver++ samplers: 2S ancestral, SDE, 2M (with CFG++), 2M SDE and 3M SDE.
public static partial class KDiffusionSamplers
{
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
}
