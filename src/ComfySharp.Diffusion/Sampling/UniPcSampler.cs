using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// UniPC (Zhao et al. 2023) multistep predictor-corrector, data prediction, B(h) = h (bh1) or
/// e^h − 1 (bh2), order min(3, steps − 1) lowered at the end, on the variance-preserving latent
/// x / sqrt(1 + σ²) with the final σ 0 replaced by 0.001 — the reference's wiring of the solver.
/// </summary>
public static class UniPcSampler
{
    private static float LogMeanCoeff(float sigma) => 0.5f * F32.Log(1 / (sigma * sigma + 1));

    private static float Alpha(float sigma) => F32.Exp(LogMeanCoeff(sigma));

    private static float Std(float sigma) => F32.Sqrt(1f - F32.Exp(2f * LogMeanCoeff(sigma)));

    private static float Lambda(float sigma)
    {
        float lmc = LogMeanCoeff(sigma);
        return lmc - 0.5f * F32.Log(1f - F32.Exp(2f * lmc));
    }

    /// <summary>Runs UniPC; <paramref name="bh2"/> selects the B(h) = e^h − 1 variant.</summary>
    public static Tensor Sample(SamplerContext ctx, Tensor x, float[] sigmas, bool bh2)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        float[] timesteps = (float[])sigmas.Clone();
        if (timesteps[^1] == 0)
        {
            timesteps[^1] = 0.001f;
        }
        int steps = timesteps.Length - 1;
        int order = Math.Min(3, timesteps.Length - 2);

        Tensor DataPrediction(Tensor xv, float sigma)
        {
            using var scope = NewDisposeScope();
            Tensor input = xv.Mul(F32.Sqrt(sigma * sigma + 1f));
            Tensor denoised = ctx.Denoise(input, sigma);
            Tensor eps = (input - denoised).Div(sigma);
            return (xv - eps.Mul(Std(sigma))).Div(Alpha(sigma)).MoveToOuterDisposeScope();
        }

        x = x.Div(F32.Sqrt(1f + timesteps[0] * timesteps[0]));
        var models = new List<Tensor>();
        var times = new List<float>();
        try
        {
            for (int stepIndex = 0; stepIndex < steps; stepIndex++)
            {
                if (stepIndex == 0)
                {
                    models.Add(DataPrediction(x, timesteps[0]));
                    times.Add(timesteps[0]);
                }
                else if (stepIndex < order)
                {
                    float t = timesteps[stepIndex];
                    (Tensor next, Tensor? modelX) = Update(x, models, times, t, stepIndex, useCorrector: true, bh2, DataPrediction);
                    x = next;
                    models.Add(modelX ?? DataPrediction(x, t));
                    times.Add(t);
                }
                else
                {
                    int extra = stepIndex == steps - 1 ? 1 : 0;
                    for (int step = stepIndex; step <= stepIndex + extra; step++)
                    {
                        float t = timesteps[step];
                        int stepOrder = Math.Min(order, steps + 1 - step);
                        bool useCorrector = step != steps;
                        (Tensor next, Tensor? modelX) = Update(x, models, times, t, stepOrder, useCorrector, bh2, DataPrediction);
                        x = next;
                        for (int i = 0; i < order - 1; i++)
                        {
                            times[i] = times[i + 1];
                            models[i] = models[i + 1];
                        }
                        times[^1] = t;
                        if (step < steps)
                        {
                            models[^1] = modelX ?? DataPrediction(x, t);
                        }
                    }
                }
                ctx.Report(stepIndex, x, models[^1], sigmas[stepIndex]);
            }
            return x.Div(Alpha(timesteps[^1]));
        }
        finally
        {
            // The history tensors belong to the caller's dispose scope (or the GC without one).
            models.Clear();
        }
    }

    private static (Tensor X, Tensor? ModelT) Update(Tensor x, List<Tensor> models, List<float> times, float t, int order, bool useCorrector, bool bh2,
        Func<Tensor, float, Tensor> dataPrediction)
    {
        using var scope = NewDisposeScope();
        float tPrev0 = times[^1];
        float lambdaPrev0 = Lambda(tPrev0);
        float lambdaT = Lambda(t);
        Tensor modelPrev0 = models[^1];
        float sigmaPrev0 = Std(tPrev0), sigmaT = Std(t);
        float alphaT = F32.Exp(LogMeanCoeff(t));
        float h = lambdaT - lambdaPrev0;

        var rks = new List<double>();
        var d1s = new List<Tensor>();
        for (int i = 1; i < order; i++)
        {
            float lambdaPrevI = Lambda(times[^(i + 1)]);
            float rk = (lambdaPrevI - lambdaPrev0) / h;
            rks.Add(rk);
            d1s.Add((models[^(i + 1)] - modelPrev0).Div(rk));
        }
        rks.Add(1.0);

        float hh = -h;
        float hPhi1 = F32.Expm1(hh);
        float hPhiK = hPhi1 / hh - 1;
        float factorial = 1;
        float bH = bh2 ? F32.Expm1(hh) : hh;
        var r = new double[order, order];
        var b = new double[order];
        for (int i = 1; i <= order; i++)
        {
            for (int k = 0; k < order; k++)
            {
                r[i - 1, k] = Math.Pow(rks[k], i - 1);
            }
            b[i - 1] = hPhiK * factorial / bH;
            factorial *= i + 1;
            hPhiK = hPhiK / hh - 1 / factorial;
        }

        Tensor xT_ = x.Mul(sigmaT / sigmaPrev0) - modelPrev0.Mul(alphaT * hPhi1);
        Tensor xT = xT_;
        if (d1s.Count > 0)
        {
            double[] rhosP = order == 2 ? [0.5] : Solve(r, b, order - 1);
            Tensor predRes = d1s[0].Mul((float)rhosP[0]);
            for (int k = 1; k < d1s.Count; k++)
            {
                predRes = predRes.Add(d1s[k].Mul((float)rhosP[k]));
            }
            xT = xT_ - predRes.Mul(alphaT * bH);
        }
        Tensor? modelT = null;
        if (useCorrector)
        {
            double[] rhosC = order == 1 ? [0.5] : Solve(r, b, order);
            modelT = dataPrediction(xT, t);
            Tensor d1T = modelT - modelPrev0;
            Tensor corr = d1T.Mul((float)rhosC[^1]);
            for (int k = 0; k < d1s.Count; k++)
            {
                corr = corr.Add(d1s[k].Mul((float)rhosC[k]));
            }
            xT = xT_ - corr.Mul(alphaT * bH);
            modelT = modelT.MoveToOuterDisposeScope();
        }
        return (xT.MoveToOuterDisposeScope(), modelT);
    }

    private static double[] Solve(double[,] matrix, double[] rhs, int n)
    {
        var a = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                a[i, j] = matrix[i, j];
            }
            a[i, n] = rhs[i];
        }
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
                if (row != col)
                {
                    double f = a[row, col] / a[col, col];
                    for (int k = col; k <= n; k++)
                    {
                        a[row, k] -= f * a[col, k];
                    }
                }
            }
        }
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = a[i, n] / a[i, i];
        }
        return result;
    }
}
