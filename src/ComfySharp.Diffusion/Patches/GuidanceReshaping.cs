using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Guidance patches that reshape the cond − uncond direction before or after the CFG mix: APG, TCFG,
/// FreSca (pre-CFG functions) and Mahiro (a post-CFG function). Predictions are denoised latents.
/// </summary>
public static class GuidanceReshaping
{
    /// <summary>
    /// Adaptive Projected Guidance (Sadat et al. 2024): the guidance cond − uncond, optionally averaged
    /// with momentum over the steps of a run and capped at an L2 norm, is split into its parts parallel
    /// and orthogonal to the positive prediction; the parallel part is scaled by <paramref name="eta"/>.
    /// The positive prediction is rewritten so that the CFG mix at scale w yields
    /// uncond + w·(orthogonal + η·parallel) + (cond − uncond).
    /// </summary>
    /// <remarks>The running average restarts whenever σ rises (a new sampling run).</remarks>
    public static PreCfgFunction Apg(double eta, double normThreshold, double momentum)
    {
        var state = new ApgState();
        return (predictions, step) =>
        {
            if (predictions.Length < 2)
            {
                return predictions;
            }
            Tensor cond = predictions[0], uncond = predictions[1];
            double sigma = step.Sigma[0].item<float>();
            Tensor guidance = cond - uncond;
            lock (state)
            {
                if (state.PreviousSigma is { } previous && sigma > previous)
                {
                    state.Reset();
                }
                state.PreviousSigma = sigma;
                if (momentum != 0)
                {
                    Tensor average = state.RunningAverage is null ? guidance : state.RunningAverage.Mul(momentum).Add(guidance);
                    state.Replace(average.detach().clone().DetachFromDisposeScope());
                    guidance = average;
                }
            }
            long[] dims = LastThreeDims(guidance);
            if (normThreshold > 0)
            {
                Tensor norm = L2(guidance, dims);
                Tensor scale = norm.RDiv(normThreshold).Clamp(double.NegativeInfinity, 1.0);
                guidance = guidance * scale;
            }
            Tensor direction = cond / L2(cond, dims).Clamp(1e-12, double.PositiveInfinity);
            Tensor parallel = (guidance * direction).sum(dims, keepdim: true) * direction;
            Tensor orthogonal = guidance - parallel;
            Tensor modified = orthogonal.Add(parallel.Mul(eta));
            Tensor newCond = uncond.Add(modified).Add((cond - uncond).Div(step.CondScale));
            return [newCond, .. predictions[1..]];
        };
    }

    /// <summary>
    /// Tangential Damping CFG (arXiv 2503.18137): in score space (x − prediction) the negative score keeps
    /// only its component along the first right-singular vector of the stacked [negative; positive] scores,
    /// dropping the part tangential to the pair's main direction. Skipped when the negative was not evaluated.
    /// </summary>
    public static PreCfgFunction Tcfg() => (predictions, step) =>
    {
        if (predictions.Length < 2 || step.Evaluated.Count < 2 || !step.Evaluated[0] || !step.Evaluated[1])
        {
            return predictions;
        }
        Tensor x = step.Input;
        Tensor condScore = x - predictions[0];
        Tensor uncondScore = x - predictions[1];
        long batch = condScore.shape[0];
        Tensor condFlat = condScore.reshape(batch, 1, -1).to_type(ScalarType.Float32);
        Tensor uncondFlat = uncondScore.reshape(batch, 1, -1).to_type(ScalarType.Float32);
        Tensor stacked = cat([uncondFlat, condFlat], 1);
        var (_, _, vh) = linalg.svd(stacked, fullMatrices: false);
        Tensor main = vh.narrow(1, 0, 1);
        Tensor damped = matmul(uncondFlat, main.transpose(-2, -1)) * main;
        Tensor newUncond = x - damped.reshape(uncondScore.shape).to_type(uncondScore.dtype);
        return [predictions[0], newUncond, .. predictions[2..]];
    };

    /// <summary>
    /// FreSca (frequency scaling of the guidance): the guidance cond − uncond is moved to the 2-D
    /// Fourier domain (zero frequency centred), the central low-frequency window of half-width
    /// min(<paramref name="freqCutoff"/>, size/2) is scaled by <paramref name="scaleLow"/>, everything else by
    /// <paramref name="scaleHigh"/>, and the real part of the inverse transform replaces the guidance.
    /// Skipped when the negative was not evaluated.
    /// </summary>
    public static PreCfgFunction FreSca(double scaleLow, double scaleHigh, long freqCutoff) => (predictions, step) =>
    {
        if (predictions.Length < 2 || step.Evaluated.Count < 2 || !step.Evaluated[0] || !step.Evaluated[1])
        {
            return predictions;
        }
        Tensor cond = predictions[0], uncond = predictions[1];
        Tensor filtered = FourierScale(cond - uncond, scaleLow, scaleHigh, freqCutoff);
        return [filtered.Add(uncond), .. predictions[1..]];
    };

    /// <summary>The frequency filter of <see cref="FreSca"/> on a [B, C, …, H, W] tensor (float32 inside).</summary>
    public static Tensor FourierScale(Tensor x, double scaleLow, double scaleHigh, long freqCutoff)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        long[] fftDims = [-2, -1];
        Tensor frequencies = fft.fftshift(fft.fftn(x.to_type(ScalarType.Float32), dim: fftDims), fftDims);
        Tensor mask = ScalarMath.Full(x.shape, scaleHigh, ScalarType.Float32);
        Tensor window = mask;
        for (int dim = 2; dim < x.dim(); dim++)
        {
            long centre = x.shape[dim] / 2;
            long halfWidth = Math.Min(freqCutoff, centre);
            window = window.narrow(dim, centre - halfWidth, halfWidth * 2);
        }
        using (Scalar low = scaleLow.ToScalar())
        {
            window.fill_(low);
        }
        Tensor scaled = fft.ifftshift(frequencies * mask, fftDims);
        Tensor result = fft.ifftn(scaled, dim: fftDims).real.to_type(x.dtype);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mahiro CFG: a mix of the CFG result and the positive prediction scaled by the guidance scale
    /// ("leap"), weighted by how much the signed square roots of the scaled negative prediction and
    /// of (leap + CFG)/2 agree (their mean channel cosine similarity s): ((2s + 2)·cfg + (2 − 2s)·leap)/4.
    /// </summary>
    public static PostCfgFunction Mahiro() => step =>
    {
        Tensor leap = step.CondDenoised.Mul(step.CondScale);
        Tensor uncondLeap = step.UncondDenoised.Mul(step.CondScale);
        Tensor cfg = step.Denoised;
        Tensor merge = leap.Add(cfg).Div(2.0);
        Tensor normU = uncondLeap.abs().sqrt() * uncondLeap.sign();
        Tensor normM = merge.abs().sqrt() * merge.sign();
        Tensor similarity = nn.functional.cosine_similarity(normU, normM, 1, 1e-8).mean();
        Tensor weight = similarity.Add(1.0).Mul(2.0);
        return (weight * cfg).Add(weight.RSub(4.0) * leap).Div(4.0);
    };

    private static Tensor L2(Tensor t, long[] dims) => (t * t).sum(dims, keepdim: true).sqrt();

    private static long[] LastThreeDims(Tensor t) => t.dim() >= 3 ? [-1, -2, -3] : Enumerable.Range(0, (int)t.dim()).Select(d => (long)d).ToArray();

    private sealed class ApgState
    {
        public double? PreviousSigma { get; set; }

        public Tensor? RunningAverage { get; private set; }

        public void Replace(Tensor average)
        {
            RunningAverage?.Dispose();
            RunningAverage = average;
        }

        public void Reset()
        {
            RunningAverage?.Dispose();
            RunningAverage = null;
        }
    }
}
