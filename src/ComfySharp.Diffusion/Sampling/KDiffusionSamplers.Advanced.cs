using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

// The samplers of the reference's "advanced samplers" nodes: Euler CFG++ (alternative form) and LCM with upscaling.
public static partial class KDiffusionSamplers
{
    /// <summary>
    /// Euler CFG++, the "alternative" form: the derivative is taken against the unconditional
    /// prediction's offset, d = (x − denoised + uncond − denoised)/σ, then an Euler step to σ_next.
    /// It needs the unconditional prediction (<see cref="SamplerDefinition.NeedsUncondPrediction"/>).
    /// </summary>
    public static Tensor EulerCfgPpAlternative(SamplerContext ctx, Tensor x, float[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(sigmas);
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            Tensor uncond = ctx.LastUncondDenoised ?? denoised;
            Tensor d = ToD((x - denoised).Add(uncond), sigmas[i], denoised);
            ctx.Report(i, x, denoised, sigmas[i]);
            float dt = sigmas[i + 1] - sigmas[i];
            x = x.Add(d.Mul(dt)).MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>
    /// LCM that also enlarges the latent: after each of the first upscale steps the prediction is
    /// resized to the next size of a linear ramp from 1× to <paramref name="totalUpscale"/>×, then
    /// re-noised to σ_next. <paramref name="upscaleSteps"/> null = about half the steps.
    /// </summary>
    /// <remarks>
    /// The reference draws the re-noising noise from torch's global generator, which its noise preparation
    /// has just seeded with the noise seed and used for the initial noise. Here a generator seeded with
    /// the sampling seed first skips one draw of the latent's size, which gives the same numbers when the
    /// initial noise was one plain draw (RandomNoise, KSampler without batch_index).
    /// </remarks>
    public static Tensor LcmUpscale(SamplerContext ctx, Tensor x, float[] sigmas, double totalUpscale, string upscaleMethod, int? upscaleSteps)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigmas);
        double[] upscales = LcmUpscaleFactors(sigmas.Length, totalUpscale, upscaleSteps);
        long height = x.shape[^2], width = x.shape[^1];
        using var generator = new Generator(ctx.Seed, CPU);
        randn(x.shape, ScalarType.Float32, CPU, generator: generator).Dispose();
        for (int i = 0; i < sigmas.Length - 1; i++)
        {
            using var scope = NewDisposeScope();
            Tensor denoised = ctx.Denoise(x, sigmas[i]);
            ctx.Report(i, x, denoised, sigmas[i]);
            x = denoised;
            if (i < upscales.Length)
            {
                long newWidth = (long)Math.Round(width * upscales[i], MidpointRounding.ToEven);
                long newHeight = (long)Math.Round(height * upscales[i], MidpointRounding.ToEven);
                x = Resampling.CommonUpscale(x, newWidth, newHeight, upscaleMethod, "disabled");
            }
            if (sigmas[i + 1] > 0)
            {
                Tensor fresh = randn(x.shape, ScalarType.Float32, CPU, generator: generator).to(x.device);
                x = x.Add(fresh.Mul(sigmas[i + 1]));
            }
            x = x.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>
    /// The scale after each upscale step: numpy's linspace(1, total, n)[1:], n = max(⌊count/2⌋ + 1, 2)
    /// by default, else min(steps + 1, count + 1), <paramref name="sigmaCount"/> being the σ list's length.
    /// </summary>
    public static double[] LcmUpscaleFactors(int sigmaCount, double totalUpscale, int? upscaleSteps)
    {
        int n = upscaleSteps is { } steps ? Math.Min(steps + 1, sigmaCount + 1) : Math.Max((sigmaCount / 2) + 1, 2);
        if (n < 2)
        {
            return [];
        }
        double step = (totalUpscale - 1.0) / (n - 1);
        var factors = new double[n - 1];
        for (int k = 1; k < n; k++)
        {
            factors[k - 1] = k == n - 1 ? totalUpscale : 1.0 + (k * step);
        }
        return factors;
    }
}
