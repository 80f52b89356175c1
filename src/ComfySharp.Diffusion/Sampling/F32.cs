namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// Scalar maths in float32, as the reference evaluates σ arithmetic on 0-d float32 tensors; keeping
/// the same precision keeps the steps within float32 rounding of the reference.
/// </summary>
internal static class F32
{
    public static float Log(float x) => MathF.Log(x);

    public static float Exp(float x) => MathF.Exp(x);

    public static float Sqrt(float x) => MathF.Sqrt(x);

    public static float Expm1(float x) => (float)Expm1(x: (double)x);

    public static double Expm1(double x) =>
        Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;

    /// <summary>σ_down and σ_up of an ancestral step from σ to σ_next.</summary>
    public static (float Down, float Up) AncestralStep(float sigmaFrom, float sigmaTo, float eta = 1f)
    {
        if (eta == 0)
        {
            return (sigmaTo, 0f);
        }
        float up = MathF.Min(sigmaTo, eta * MathF.Sqrt(sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo) / (sigmaFrom * sigmaFrom)));
        float down = MathF.Sqrt(sigmaTo * sigmaTo - up * up);
        return (down, up);
    }
}
