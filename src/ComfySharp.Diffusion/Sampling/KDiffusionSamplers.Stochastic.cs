using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

// Re-noising and exponential-integrator samplers: DDPM, LCM, ER-SDE and SEEDS.
public static partial class KDiffusionSamplers
{
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

    /// <summary>The ER-SDE solver's own noise scaler λ·(exp(λ^0.3) + 10).</summary>
    public static float ErSdeNoiseScaler(float lambda) => lambda * (MathF.Exp(MathF.Pow(lambda, 0.3f)) + 10f);

    /// <summary>The reverse-time SDE noise scaler λ^(η + 1); η = 0 makes the solver an ODE solver.</summary>
    public static Func<float, float> ReverseTimeSdeNoiseScaler(float eta) => lambda => MathF.Pow(lambda, eta + 1f);

    /// <summary>
    /// Extended reverse-time SDE solver (ER-SDE-Solver-3) with up to <paramref name="maxStage"/> stages;
    /// <paramref name="noiseScaler"/> picks the SDE (the solver's own scaler by default).
    /// </summary>
    public static Tensor ErSde(SamplerContext ctx, Tensor x, float[] sigmas, float sNoise = 1f, int maxStage = 3, Func<float, float>? noiseScaler = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        using INoiseSampler noise = ctx.DefaultNoise(x);
        Func<float, float> scaler = noiseScaler ?? ErSdeNoiseScaler;
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
                    float r = scaler(lt) / scaler(ls);
                    x = x.Mul(rAlpha * r).Add(denoised.Mul(alphaT * (1 - r)));
                    if (stage >= 2 && oldDenoised is not null)
                    {
                        float dt = lt - ls;
                        float stepSize = -dt / points;
                        double s = 0, su = 0;
                        for (int p = 0; p < points; p++)
                        {
                            float pos = lt + p * stepSize;
                            float scaled = scaler(pos);
                            s += 1 / scaled;
                            su += (pos - ls) / scaled;
                        }
                        s *= stepSize;
                        su *= stepSize;
                        Tensor denoisedD = (denoised - oldDenoised).Div(ls - lambdas[i - 1]);
                        x = x.Add(denoisedD.Mul(alphaT * (dt + (float)s * scaler(lt))));
                        if (stage >= 3 && oldDenoisedD is not null)
                        {
                            Tensor denoisedU = (denoisedD - oldDenoisedD).Div((ls - lambdas[i - 2]) / 2);
                            x = x.Add(denoisedU.Mul(alphaT * (dt * dt / 2 + (float)su * scaler(lt))));
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
