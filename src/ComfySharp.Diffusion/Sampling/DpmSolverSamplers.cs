using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>DPM-Solver (Lu et al. 2022) with fixed (dpm_fast) and adaptive (dpm_adaptive) step sizes, in t = −log σ.</summary>
public static class DpmSolverSamplers
{
    private sealed class Solver(SamplerContext ctx)
    {
        private int _evaluations;

        public static float Sigma(float t) => F32.Exp(-t);

        public static float T(float sigma) => -F32.Log(sigma);

        public Tensor Eps(Dictionary<string, Tensor> cache, string key, Tensor x, float t)
        {
            if (cache.TryGetValue(key, out Tensor? cached))
            {
                return cached;
            }
            float sigma = Sigma(t);
            using Tensor denoised = ctx.Denoise(x, sigma);
            Tensor eps = (x - denoised).Div(sigma);
            cache[key] = eps;
            _evaluations++;
            return eps;
        }

        public Tensor Step1(Tensor x, float t, float tNext, Dictionary<string, Tensor> cache)
        {
            float h = tNext - t;
            Tensor eps = Eps(cache, "eps", x, t);
            return x - eps.Mul(Sigma(tNext) * F32.Expm1(h));
        }

        public Tensor Step2(Tensor x, float t, float tNext, Dictionary<string, Tensor> cache, float r1 = 0.5f)
        {
            float h = tNext - t;
            Tensor eps = Eps(cache, "eps", x, t);
            float s1 = t + r1 * h;
            Tensor u1 = x - eps.Mul(Sigma(s1) * F32.Expm1(r1 * h));
            Tensor epsR1 = Eps(cache, "eps_r1", u1, s1);
            return x - eps.Mul(Sigma(tNext) * F32.Expm1(h)) - (epsR1 - eps).Mul(Sigma(tNext) / (2 * r1) * F32.Expm1(h));
        }

        public Tensor Step3(Tensor x, float t, float tNext, Dictionary<string, Tensor> cache, float r1 = 1f / 3, float r2 = 2f / 3)
        {
            float h = tNext - t;
            Tensor eps = Eps(cache, "eps", x, t);
            float s1 = t + r1 * h;
            float s2 = t + r2 * h;
            Tensor u1 = x - eps.Mul(Sigma(s1) * F32.Expm1(r1 * h));
            Tensor epsR1 = Eps(cache, "eps_r1", u1, s1);
            Tensor u2 = x - eps.Mul(Sigma(s2) * F32.Expm1(r2 * h))
                - (epsR1 - eps).Mul(Sigma(s2) * (r2 / r1) * (F32.Expm1(r2 * h) / (r2 * h) - 1));
            Tensor epsR2 = Eps(cache, "eps_r2", u2, s2);
            return x - eps.Mul(Sigma(tNext) * F32.Expm1(h)) - (epsR2 - eps).Mul(Sigma(tNext) / r2 * (F32.Expm1(h) / h - 1));
        }

        public int Evaluations => _evaluations;
    }

    /// <summary>DPM-Solver-Fast: ⌊nfe/3⌋+1 steps of orders 3 (…, 2, 1) spending exactly nfe evaluations.</summary>
    public static Tensor Fast(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        float sigmaMin = sigmas[^1] == 0 ? sigmas[^2] : sigmas[^1];
        int nfe = sigmas.Length - 1;
        var solver = new Solver(ctx);
        float tStart = Solver.T(sigmas[0]), tEnd = Solver.T(sigmaMin);
        int m = nfe / 3 + 1;
        using Tensor tsTensor = linspace(tStart, tEnd, m + 1);
        float[] ts = tsTensor.data<float>().ToArray();
        var orders = new List<int>();
        if (nfe % 3 == 0)
        {
            orders.AddRange(Enumerable.Repeat(3, m - 2));
            orders.Add(2);
            orders.Add(1);
        }
        else
        {
            orders.AddRange(Enumerable.Repeat(3, m - 1));
            orders.Add(nfe % 3);
        }
        for (int i = 0; i < orders.Count; i++)
        {
            using var scope = NewDisposeScope();
            var cache = new Dictionary<string, Tensor>();
            float t = ts[i], tNext = ts[i + 1];
            Tensor eps = solver.Eps(cache, "eps", x, t);
            Tensor denoised = x - eps.Mul(Solver.Sigma(t));
            ctx.Report(i, x, denoised, Solver.Sigma(t));
            x = orders[i] switch
            {
                1 => solver.Step1(x, t, tNext, cache),
                2 => solver.Step2(x, t, tNext, cache),
                _ => solver.Step3(x, t, tNext, cache),
            };
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>DPM-Solver-23 with PID step-size control (rtol 0.05, atol 0.0078, h_init 0.05).</summary>
    public static Tensor Adaptive(SamplerContext ctx, Tensor x, float[] sigmas, int order = 3, double rtol = 0.05, double atol = 0.0078, double hInit = 0.05,
        double pcoeff = 0, double icoeff = 1, double dcoeff = 0, double acceptSafety = 0.81)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        float sigmaMin = sigmas[^1] == 0 ? sigmas[^2] : sigmas[^1];
        var solver = new Solver(ctx);
        float tStart = Solver.T(sigmas[0]), tEnd = Solver.T(sigmaMin);
        bool forward = tEnd > tStart;
        double h = Math.Abs(hInit) * (forward ? 1 : -1);
        double b1 = (pcoeff + icoeff + dcoeff) / order, b2 = -(pcoeff + 2 * dcoeff) / order, b3 = dcoeff / order;
        double[]? errs = null;
        float s = tStart;
        Tensor xPrev = x;
        int steps = 0;
        while (forward ? s < tEnd - 1e-5 : s > tEnd + 1e-5)
        {
            using var scope = NewDisposeScope();
            var cache = new Dictionary<string, Tensor>();
            float t = forward ? MathF.Min(tEnd, (float)(s + h)) : MathF.Max(tEnd, (float)(s + h));
            Tensor eps = solver.Eps(cache, "eps", x, s);
            Tensor denoised = x - eps.Mul(Solver.Sigma(s));
            Tensor xLow, xHigh;
            if (order == 2)
            {
                xLow = solver.Step1(x, s, t, cache);
                xHigh = solver.Step2(x, s, t, cache);
            }
            else
            {
                xLow = solver.Step2(x, s, t, cache, r1: 1f / 3);
                xHigh = solver.Step3(x, s, t, cache);
            }
            Tensor delta = maximum(tensor((float)atol), maximum(xLow.abs(), xPrev.abs()).Mul((float)rtol));
            double error = linalg.norm((xLow - xHigh) / delta).item<float>() / Math.Sqrt(x.numel());
            double invError = 1 / (error + 1e-8);
            errs ??= [invError, invError, invError];
            errs[0] = invError;
            double factor = Math.Pow(errs[0], b1) * Math.Pow(errs[1], b2) * Math.Pow(errs[2], b3);
            factor = 1 + Math.Atan(factor - 1);
            bool accept = factor >= acceptSafety;
            if (accept)
            {
                errs[2] = errs[1];
                errs[1] = errs[0];
            }
            h *= factor;
            if (accept)
            {
                xPrev = xLow.MoveToOuterDisposeScope();
                x = xHigh.MoveToOuterDisposeScope();
                s = t;
            }
            steps++;
            ctx.Report(Math.Min(steps - 1, sigmas.Length - 2), x, denoised, Solver.Sigma(s));
        }
        return x;
    }
}
