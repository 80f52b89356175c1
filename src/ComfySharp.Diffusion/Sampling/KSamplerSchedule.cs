namespace ComfySharp.Diffusion.Sampling;

/// <summary>How the KSampler nodes turn steps, scheduler, sampler and denoise into the σ list they run (NODES.md §4.3).</summary>
public static class KSamplerSchedule
{
    /// <summary>Samplers that compute steps + 1 σ values and drop the second-to-last one.</summary>
    public static IReadOnlySet<string> DiscardPenultimateSigmaSamplers { get; } =
        new HashSet<string>(StringComparer.Ordinal) { "dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2" };

    /// <summary>The full schedule for <paramref name="steps"/> steps, with the penultimate-σ rule.</summary>
    public static float[] CalculateSigmas(ModelSamplingDiscrete sampling, string scheduler, string sampler, int steps)
    {
        bool discard = DiscardPenultimateSigmaSamplers.Contains(sampler);
        float[] sigmas = Schedulers.Calculate(sampling, scheduler, discard ? steps + 1 : steps);
        if (discard && sigmas.Length >= 2)
        {
            sigmas = [.. sigmas[..^2], sigmas[^1]];
        }
        return sigmas;
    }

    /// <summary>KSampler's σ list: denoise &lt; 1 computes ⌊steps / denoise⌋ steps and keeps the last steps + 1; denoise ≤ 0 gives none.</summary>
    public static float[] ForDenoise(ModelSamplingDiscrete sampling, string scheduler, string sampler, int steps, double denoise)
    {
        if (denoise > 0.9999)
        {
            return CalculateSigmas(sampling, scheduler, sampler, steps);
        }
        if (denoise <= 0.0)
        {
            return [];
        }
        int newSteps = (int)(steps / denoise);
        float[] sigmas = CalculateSigmas(sampling, scheduler, sampler, newSteps);
        return sigmas[Math.Max(0, sigmas.Length - (steps + 1))..];
    }

    /// <summary>
    /// KSamplerAdvanced's trimming: keep σ[0 … lastStep] (last forced to 0 when <paramref name="forceFullDenoise"/>),
    /// then drop the first <paramref name="startStep"/>. Null means "return the input latent unchanged".
    /// </summary>
    public static float[]? Trim(float[] sigmas, int? startStep, int? lastStep, bool forceFullDenoise)
    {
        ArgumentNullException.ThrowIfNull(sigmas);
        if (lastStep is { } last && last < sigmas.Length - 1)
        {
            sigmas = sigmas[..(last + 1)];
            if (forceFullDenoise)
            {
                sigmas[^1] = 0f;
            }
        }
        if (startStep is { } start)
        {
            if (start < sigmas.Length - 1)
            {
                sigmas = sigmas[start..];
            }
            else
            {
                return null;
            }
        }
        return sigmas;
    }
}
