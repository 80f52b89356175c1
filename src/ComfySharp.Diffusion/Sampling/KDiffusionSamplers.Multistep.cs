using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

// Multistep samplers that reuse earlier derivatives: LMS, iPNDM, DEIS, RES, gradient estimation.
public static partial class KDiffusionSamplers
{
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
}
