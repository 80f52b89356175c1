using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>CFG functions and post-CFG functions of the guidance patch nodes; every prediction here is a denoised latent.</summary>
public static class GuidancePatches
{
    /// <summary>
    /// RescaleCFG (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed"): CFG in
    /// v-prediction space, rescaled so its per-item standard deviation matches the positive prediction's,
    /// mixed with plain CFG by <paramref name="multiplier"/>.
    /// </summary>
    public static CfgFunction RescaleCfg(double multiplier) => step =>
    {
        Tensor x = step.Input;
        Tensor sigma = step.Sigma.view([step.Sigma.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
        Tensor root = (sigma * sigma).Add(1.0).sqrt();
        // v = (x/(σ²+1) − x0)·√(σ²+1)/σ for each prediction x0.
        Tensor scaledInput = x / (sigma * sigma).Add(1.0);
        Tensor condV = (scaledInput - step.CondDenoised) * root / sigma;
        Tensor uncondV = (scaledInput - step.UncondDenoised) * root / sigma;
        Tensor cfgV = uncondV.Add((condV - uncondV).Mul(step.CondScale));
        Tensor condStd = condV.std([1, 2, 3], keepdim: true);
        Tensor cfgStd = cfgV.std([1, 2, 3], keepdim: true);
        Tensor rescaled = cfgV * (condStd / cfgStd);
        Tensor final = rescaled.Mul(multiplier).Add(cfgV.Mul(1.0 - multiplier));
        return scaledInput - final * sigma / root;
    };

    /// <summary>CFG-Zero* (Fan et al. 2025): the negative prediction is rescaled by the optimal projection of the positive noise onto the negative noise.</summary>
    public static PostCfgFunction CfgZeroStar() => step =>
    {
        Tensor x = step.Input;
        Tensor positive = (x - step.CondDenoised).flatten(1);
        Tensor negative = (x - step.UncondDenoised).flatten(1);
        Tensor dot = (positive * negative).sum([1], keepdim: true);
        Tensor squaredNorm = (negative * negative).sum([1], keepdim: true).Add(1e-8);
        Tensor alpha = (dot / squaredNorm).view([x.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
        Tensor uncond = step.UncondDenoised;
        return step.Denoised.Add(uncond * alpha.Sub(1.0)).Add((uncond * alpha.RSub(1.0)).Mul(step.CondScale));
    };

    /// <summary>CFGNorm: the guided prediction's per-pixel channel norm is capped at the positive prediction's, then scaled by <paramref name="strength"/>.</summary>
    public static PostCfgFunction CfgNorm(double strength) => step =>
    {
        Tensor condNorm = step.CondDenoised.VectorNorm(2, 1, keepdim: true);
        Tensor guidedNorm = step.Denoised.VectorNorm(2, 1, keepdim: true);
        Tensor scale = (condNorm / guidedNorm.Add(1e-8)).Clamp(0.0, 1.0);
        return (step.Denoised * scale).Mul(strength);
    };

    /// <summary>Epsilon scaling (Ning et al. 2023): the predicted noise is divided by <paramref name="factor"/>.</summary>
    public static PostCfgFunction EpsilonScaling(double factor)
    {
        double f = factor == 0 ? 1e-9 : factor;
        return step => step.Input - (step.Input - step.Denoised).Div(f);
    }

    /// <summary>
    /// Temporal score rescaling: the score is multiplied by r = (snr·v + 1)/(snr·v/k + 1) with snr = 1/σ² and
    /// v = <paramref name="tsrSigma"/>²; for these σ-parameterised models that is a lerp from x to the prediction by r.
    /// </summary>
    public static PostCfgFunction TemporalScoreRescaling(double k, double tsrSigma)
    {
        double variance = tsrSigma * tsrSigma;
        return step =>
        {
            double sigma = step.Sigma[0].item<float>();
            if (k == 1 || sigma == 0)
            {
                return step.Denoised;
            }
            double snr = 1.0 / (sigma * sigma);
            double r = double.IsPositiveInfinity(snr) ? k : (snr * variance + 1) / (snr * variance / k + 1);
            return step.Input.Add((step.Denoised - step.Input).Mul(r));
        };
    }

    /// <summary>
    /// Perturbed-attention guidance (Ahn et al. 2024): the positive prediction is evaluated again with the
    /// middle block's self-attention replaced by identity (its values), and the guided prediction moves away from it.
    /// </summary>
    public static PostCfgFunction PerturbedAttention(double scale) => step =>
    {
        if (scale == 0)
        {
            return step.Denoised;
        }
        ModelOptions perturbed = step.Options.WithSelfAttentionReplacement(new AttentionSite(UNetBlock.Middle, null), static (_, _, v, _) => v);
        Tensor pag = step.EvaluateCond(step.Input, perturbed);
        return step.Denoised.Add((step.CondDenoised - pag).Mul(scale));
    };

    /// <summary>The deprecated PerpNeg patch: perpendicular negative guidance against <paramref name="empty"/>, as a CFG function.</summary>
    public static CfgFunction PerpNeg(Conditioning empty, double negScale) => step =>
    {
        Tensor nocond = step.EvaluateConditioning(empty, step.Input);
        return PerpNegRule.Mix(step.CondDenoised, step.UncondDenoised, nocond, step.CondScale, negScale);
    };
}
