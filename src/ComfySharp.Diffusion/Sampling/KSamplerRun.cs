using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>The inputs shared by KSampler and KSamplerAdvanced (the reference's common_ksampler).</summary>
public sealed record KSamplerSettings
{
    /// <summary>The model.</summary>
    public required ModelPatcher Model { get; init; }
    /// <summary>Noise seed (unsigned 64-bit).</summary>
    public required ulong Seed { get; init; }
    /// <summary>Schedule length.</summary>
    public required int Steps { get; init; }
    /// <summary>Guidance scale.</summary>
    public required double Cfg { get; init; }
    /// <summary>Sampler name.</summary>
    public required string SamplerName { get; init; }
    /// <summary>Scheduler name.</summary>
    public required string Scheduler { get; init; }
    /// <summary>Positive conditioning.</summary>
    public required Conditioning Positive { get; init; }
    /// <summary>Negative conditioning.</summary>
    public required Conditioning Negative { get; init; }
    /// <summary>The input latent.</summary>
    public required LatentValue Latent { get; init; }
    /// <summary>Denoising strength (KSampler).</summary>
    public double Denoise { get; init; } = 1.0;
    /// <summary>Start from the latent without noise (KSamplerAdvanced add_noise = disable).</summary>
    public bool DisableNoise { get; init; }
    /// <summary>First step to run (KSamplerAdvanced).</summary>
    public int? StartStep { get; init; }
    /// <summary>Step to stop at (KSamplerAdvanced).</summary>
    public int? LastStep { get; init; }
    /// <summary>Set the last σ to 0 when stopping early.</summary>
    public bool ForceFullDenoise { get; init; }
}

/// <summary>Runs a KSampler node's sampling: noise, schedule, trimming, sampler, with per-step progress.</summary>
public static class KSamplerRun
{
    /// <summary>Samples and returns the output latent (the input with <c>samples</c> replaced).</summary>
    public static LatentValue Run(KSamplerSettings settings, Action<SamplingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var scope = NewDisposeScope();
        IDiffusionNetwork network = settings.Model.Network;
        Tensor latentImage = FixEmptyLatentChannels(settings.Latent.Samples, network.LatentFormat.Channels);
        Tensor noise = settings.DisableNoise
            ? zeros(latentImage.shape, ScalarType.Float32)
            : Noise.Prepare(latentImage.shape, settings.Seed, settings.Latent.BatchIndex);

        var sampling = ModelSamplingDiscrete.For(settings.Model);
        float[] sigmas = KSamplerSchedule.ForDenoise(sampling, settings.Scheduler, settings.SamplerName, settings.Steps, settings.Denoise);
        float[]? trimmed = KSamplerSchedule.Trim(sigmas, settings.StartStep, settings.LastStep, settings.ForceFullDenoise);
        Tensor samples;
        if (trimmed is null)
        {
            samples = latentImage.clone();
        }
        else
        {
            samples = DiffusionSampling.Sample(new SamplingRequest
            {
                Model = settings.Model,
                Noise = noise,
                Positive = settings.Positive,
                Negative = settings.Negative,
                Cfg = settings.Cfg,
                LatentImage = latentImage,
                DenoiseMask = settings.Latent.NoiseMask,
                Sigmas = trimmed,
                SamplerName = settings.SamplerName,
                Seed = settings.Seed,
                Callback = progress,
                CancellationToken = cancellationToken,
            });
        }
        return settings.Latent with { Samples = samples.MoveToOuterDisposeScope() };
    }

    /// <summary>An all-zero latent with the wrong channel count becomes zeros with the model's channels.</summary>
    public static Tensor FixEmptyLatentChannels(Tensor latent, int channels)
    {
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.dim() >= 2 && latent.shape[1] != channels && latent.count_nonzero().item<long>() == 0)
        {
            long[] shape = (long[])latent.shape.Clone();
            shape[1] = channels;
            return zeros(shape, latent.dtype);
        }
        return latent;
    }
}
