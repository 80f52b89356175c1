using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

// Single-step samplers: Euler, Heun and DPM-2 variants, ancestral and CFG++ forms.
public static partial class KDiffusionSamplers
{
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
}
