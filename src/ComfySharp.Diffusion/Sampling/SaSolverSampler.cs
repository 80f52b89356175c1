using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// SA-Solver (stochastic Adams predictor-corrector in half-logSNR time; predictor order 3,
/// corrector order 4, stochastic between 20 % and 80 % of the schedule), optionally PECE.
/// </summary>
public static class SaSolverSampler
{
    /// <summary>
    /// The stochasticity τ(σ) of the node's options: η inside [<paramref name="endSigma"/>, <paramref name="startSigma"/>],
    /// 0 outside it, 0 everywhere when η ≤ 0 (an ODE solver).
    /// </summary>
    public static Func<double, double> TauInterval(double startSigma, double endSigma, double eta) =>
        sigma => eta <= 0 ? 0.0 : startSigma >= sigma && sigma >= endSigma ? eta : 0.0;

    /// <summary>
    /// Runs the sampler. <paramref name="tau"/> gives the stochasticity per σ (default: 1 between 20 % and
    /// 80 % of the model's schedule); <paramref name="simpleOrder2"/> uses the paper's closed-form order-2 weights.
    /// </summary>
    public static Tensor Sample(SamplerContext ctx, Tensor x, float[] sigmas, bool usePece, float sNoise = 1f, int predictorOrder = 3, int correctorOrder = 4,
        Func<double, double>? tau = null, bool simpleOrder2 = false)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length <= 1)
        {
            return x;
        }
        using INoiseSampler noiseSampler = ctx.DefaultNoise(x);
        double[] lambdas = sigmas.Select(s => (double)-F32.Log(s)).ToArray();
        Func<double, double> tauOf = tau ?? TauInterval(ctx.Sampling.PercentToSigma(0.2), ctx.Sampling.PercentToSigma(0.8), 1.0);

        int maxUsedOrder = Math.Max(predictorOrder, correctorOrder);
        Tensor xPred = x;
        double h = 0, tauT = 0;
        Tensor? noise = null;
        var preds = new List<Tensor>();
        bool lowerOrderToEnd = sigmas[^1] == 0;
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(xPred, sigmas[i]);
            ctx.Report(i, xPred, denoised, sigmas[i]);
            preds.Add(denoised.DetachFromDisposeScope());
            while (preds.Count > maxUsedOrder)
            {
                preds[0].Dispose();
                preds.RemoveAt(0);
            }
            int predictorUsed = Math.Min(predictorOrder, preds.Count);
            int correctorUsed = i == 0 || (sigmas[i + 1] == 0 && !usePece) ? 0 : Math.Min(correctorOrder, preds.Count);
            if (lowerOrderToEnd)
            {
                predictorUsed = Math.Min(predictorUsed, sigmas.Length - 2 - i);
                correctorUsed = Math.Min(correctorUsed, sigmas.Length - 1 - i);
            }

            if (correctorUsed == 0)
            {
                x = xPred;
            }
            else
            {
                double[] b = Coefficients(sigmas[i], lambdas[(i - correctorUsed + 1)..(i + 1)], lambdas[i - 1], lambdas[i], tauT, simpleOrder2, corrector: true);
                Tensor corr = Combine(preds, correctorUsed, b);
                x = x.Mul((float)((double)sigmas[i] / sigmas[i - 1] * Math.Exp(-(tauT * tauT) * h))).Add(corr);
                if (tauT > 0 && sNoise > 0 && noise is not null)
                {
                    x = x.Add(noise);
                }
                if (usePece)
                {
                    Tensor corrected = ctx.Denoise(x, sigmas[i]);
                    preds[^1].Dispose();
                    preds[^1] = corrected.DetachFromDisposeScope();
                    denoised = preds[^1];
                }
            }

            if (sigmas[i + 1] == 0)
            {
                xPred = denoised.clone();
            }
            else
            {
                tauT = tauOf(sigmas[i + 1]);
                double[] b = Coefficients(sigmas[i + 1], lambdas[(i - predictorUsed + 1)..(i + 1)], lambdas[i], lambdas[i + 1], tauT, simpleOrder2, corrector: false);
                Tensor pred = Combine(preds, predictorUsed, b);
                h = lambdas[i + 1] - lambdas[i];
                xPred = x.Mul((float)((double)sigmas[i + 1] / sigmas[i] * Math.Exp(-(tauT * tauT) * h))).Add(pred);
                if (tauT > 0 && sNoise > 0)
                {
                    noise?.Dispose();
                    noise = noiseSampler.Next(sigmas[i], sigmas[i + 1]).Mul((float)(sigmas[i + 1] * Math.Sqrt(-F32.Expm1(-2 * tauT * tauT * h)) * sNoise)).DetachFromDisposeScope();
                    xPred = xPred.Add(noise);
                }
            }
            x = x.MoveToOuterDisposeScope();
            xPred = xPred.MoveToOuterDisposeScope();
        }
        noise?.Dispose();
        preds.ForEach(p => p.Dispose());
        return xPred;
    }

    private static Tensor Combine(List<Tensor> preds, int count, double[] b)
    {
        Tensor sum = preds[^count].Mul((float)b[0]);
        for (int k = 1; k < count; k++)
        {
            sum = sum.Add(preds[preds.Count - count + k].Mul((float)b[k]));
        }
        return sum;
    }

    /// <summary>
    /// The b_i weights: integrals of the Lagrange basis over [λ_s, λ_t] against the SDE kernel, times α_t;
    /// with <paramref name="simpleOrder2"/> and two points, the paper's simplified order-2 weights (appendix D).
    /// </summary>
    internal static double[] Coefficients(double sigmaNext, double[] points, double lambdaS, double lambdaT, double tau, bool simpleOrder2 = false, bool corrector = false)
    {
        int n = points.Length;
        if (simpleOrder2 && n == 2)
        {
            return SimpleOrder2(sigmaNext, points, lambdaS, lambdaT, tau, corrector);
        }
        double tauMul = 1 + tau * tau;
        double h = lambdaT - lambdaS;
        // Integrals ∫ exp(τ_mul·x)·x^p over [s, t] with exp(τ_mul·t) factored out, by repeated integration by parts.
        var product = new double[n];
        for (int p = 0; p < n; p++)
        {
            product[p] = Math.Pow(lambdaT, p) - Math.Pow(lambdaS, p) * Math.Exp(-tauMul * h);
        }
        var exponential = new double[n];
        for (int p = 0; p < n; p++)
        {
            double sum = 0;
            for (int q = 0; q <= p; q++)
            {
                int depth = p - q;
                double logCoeff = LogFactorial(p) - LogFactorial(q);
                if (tau > 0)
                {
                    logCoeff -= depth * Math.Log(tauMul);
                }
                sum += Math.Exp(logCoeff) * (depth % 2 == 0 ? 1 : -1) * product[q];
            }
            exponential[p] = sum;
        }
        // Solve Vᵀ·w = exponential, V the Vandermonde matrix of the λ points (increasing powers).
        var a = new double[n, n + 1];
        for (int row = 0; row < n; row++)
        {
            for (int col = 0; col < n; col++)
            {
                a[row, col] = Math.Pow(points[col], row);
            }
            a[row, n] = exponential[row];
        }
        double[] w = Solve(a, n);
        double alphaT = sigmaNext * Math.Exp(lambdaT);
        return w.Select(v => alphaT * v).ToArray();
    }

    /// <summary>
    /// Order 2 without the Lagrange system: the corrector weights the newer prediction by α_t·(1 + τ²)·h/2
    /// (the trapezoid), the predictor weights the older one by α_t·(1 + τ²)·h²/(2·(λ_s − λ_older)); the other
    /// weight makes them sum to α_t·(1 − exp(−(1 + τ²)·h)). Returned oldest first.
    /// </summary>
    private static double[] SimpleOrder2(double sigmaNext, double[] points, double lambdaS, double lambdaT, double tau, bool corrector)
    {
        double tauMul = 1 + tau * tau;
        double h = lambdaT - lambdaS;
        double alphaT = sigmaNext * Math.Exp(lambdaT);
        double total = alphaT * -F32.Expm1(-h * tauMul);
        if (corrector)
        {
            double newer = alphaT * 0.5 * tauMul * h;
            return [total - newer, newer];
        }
        double older = alphaT * 0.5 * tauMul * h * h / (points[0] - lambdaS);
        return [older, total - older];
    }

    private static double LogFactorial(int p)
    {
        double sum = 0;
        for (int k = 2; k <= p; k++)
        {
            sum += Math.Log(k);
        }
        return sum;
    }

    private static double[] Solve(double[,] a, int n)
    {
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
            {
                if (Math.Abs(a[row, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = row;
                }
            }
            for (int k = 0; k <= n; k++)
            {
                (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
            }
            for (int row = 0; row < n; row++)
            {
                if (row == col)
                {
                    continue;
                }
                double f = a[row, col] / a[col, col];
                for (int k = col; k <= n; k++)
                {
                    a[row, k] -= f * a[col, k];
                }
            }
        }
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = a[i, n] / a[i, i];
        }
        return x;
    }
}
