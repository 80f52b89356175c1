namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// DEIS "tab" coefficients: σ is mapped to the time of a VP SDE (EDM defaults σ ∈ [0.002, 80],
/// ε = 1e-3) and each Lagrange basis polynomial of the previous time points is integrated against
/// the exponential-integrator weight with a 10,000-point Riemann sum, as the reference does.
/// </summary>
internal static class DeisCoefficients
{
    public static double[][] Tab(float[] sigmas, int maxOrder, int n = 10000)
    {
        const double epsilonS = 1e-3, sigmaMin = 0.002, sigmaMax = 80;
        double betaD = 2 * (Math.Log(sigmaMin * sigmaMin + 1) / epsilonS - Math.Log(sigmaMax * sigmaMax + 1)) / (epsilonS - 1);
        double betaMin = Math.Log(sigmaMax * sigmaMax + 1) - 0.5 * betaD;
        double beta0 = betaMin, beta1 = betaD + betaMin;
        double[] t = sigmas.Select(s => (Math.Sqrt(betaMin * betaMin + 2 * betaD * Math.Log((double)s * s + 1)) - betaMin) / betaD).ToArray();

        var result = new double[Math.Max(0, t.Length - 1)][];
        for (int i = 0; i < t.Length - 1; i++)
        {
            int order = Math.Min(i + 1, maxOrder);
            if (order == 1)
            {
                result[i] = [];
                continue;
            }
            double tCur = t[i], tNext = t[i + 1];
            double dtau = (tNext - tCur) / n;
            var coeffs = new double[order];
            for (int step = 0; step < n; step++)
            {
                double tau = tCur + (tNext - tCur) * step / (n - 1);
                double alpha = Math.Exp(-0.5 * tau * tau * (beta1 - beta0) - tau * beta0);
                double dLogAlpha = -tau * (beta1 - beta0) - beta0;
                double integrand = -0.5 * dLogAlpha / Math.Sqrt(alpha * (1 - alpha));
                for (int j = 0; j < order; j++)
                {
                    double poly = 1;
                    for (int k = 0; k < order; k++)
                    {
                        if (k != j)
                        {
                            poly *= (tau - t[i - k]) / (t[i - j] - t[i - k]);
                        }
                    }
                    coeffs[j] += integrand * poly;
                }
            }
            result[i] = coeffs.Select(c => c * dtau).ToArray();
        }
        return result;
    }
}
