namespace ComfySharp.Diffusion.Sampling;

/// <summary>The Beta distribution's CDF and its inverse, accurate to ~1e-14 (enough for the beta scheduler's rounding).</summary>
public static class BetaDistribution
{
    /// <summary>The inverse CDF (quantile) of Beta(a, b) at probability <paramref name="p"/>.</summary>
    public static double InverseCdf(double p, double a, double b)
    {
        if (p <= 0)
        {
            return 0;
        }
        if (p >= 1)
        {
            return 1;
        }
        // Bisection is slow but robust for the small shape parameters used here.
        double lo = 0, hi = 1;
        for (int i = 0; i < 200 && hi - lo > 1e-16; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (RegularizedIncompleteBeta(mid, a, b) < p)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>I_x(a, b), the CDF of Beta(a, b).</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (x <= 0)
        {
            return 0;
        }
        if (x >= 1)
        {
            return 1;
        }
        double logFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        double front = Math.Exp(logFront);
        // The continued fraction converges fast on the side below the mean; use symmetry otherwise.
        if (x < (a + 1) / (a + b + 2))
        {
            return front * ContinuedFraction(x, a, b) / a;
        }
        return 1 - front * ContinuedFraction(1 - x, b, a) / b;
    }

    private static double ContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = Math.Abs(d) < tiny ? tiny : d;
        d = 1 / d;
        double result = d;
        for (int m = 1; m < 10000; m++)
        {
            double m2 = 2.0 * m;
            double numerator = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + numerator * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + numerator / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            result *= d * c;
            numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + numerator * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = 1 + numerator / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = d * c;
            result *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }
        return result;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7,
        ];
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.Length; i++)
        {
            sum += g[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
