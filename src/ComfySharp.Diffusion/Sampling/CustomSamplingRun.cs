using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>The NOISE value: the initial noise for a latent and the seed that ancestral samplers derive theirs from.</summary>
public interface INoiseSource
{
    /// <summary>The seed handed to the sampler.</summary>
    ulong Seed { get; }

    /// <summary>The initial noise for <paramref name="latent"/> (float32, shaped like its samples).</summary>
    Tensor Generate(LatentValue latent);
}

/// <summary>Seeded Gaussian noise, drawn as KSampler draws it (batch_index aware).</summary>
/// <param name="Seed">The seed.</param>
public sealed record RandomNoiseSource(ulong Seed) : INoiseSource
{
    /// <inheritdoc />
    public Tensor Generate(LatentValue latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        return Noise.Prepare(latent.Samples.shape, Seed, latent.BatchIndex);
    }
}

/// <summary>No noise: zeros (the sampler seed is 0).</summary>
public sealed record EmptyNoiseSource : INoiseSource
{
    /// <inheritdoc />
    public ulong Seed => 0;

    /// <inheritdoc />
    public Tensor Generate(LatentValue latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        return zeros(latent.Samples.shape, ScalarType.Float32);
    }
}

/// <summary>What SamplerCustom and SamplerCustomAdvanced return.</summary>
/// <param name="Output">The sampled latent.</param>
/// <param name="Denoised">The model's last prediction of the clean latent (the output when no step ran).</param>
public sealed record CustomSamplingResult(LatentValue Output, LatentValue Denoised);

/// <summary>Runs a sampler over a σ list with a guider and a noise source (the reference's custom sampling nodes).</summary>
public static class CustomSamplingRun
{
    /// <summary>Samples <paramref name="latent"/>; progress reports each step.</summary>
    public static CustomSamplingResult Run(
        Guider guider, SamplerDefinition sampler, float[] sigmas, INoiseSource noise, LatentValue latent,
        Action<SamplingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(guider);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(sigmas);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(latent);
        using var scope = NewDisposeScope();
        IDiffusionNetwork network = guider.Model.Network;
        Tensor latentImage = KSamplerRun.FixEmptyLatentChannels(latent.Samples, network.LatentFormat.Channels);
        LatentValue fixedLatent = latent with { Samples = latentImage };
        Tensor initialNoise = noise.Generate(fixedLatent);
        Tensor? lastDenoised = null;
        void Capture(SamplingProgress step)
        {
            lastDenoised?.Dispose();
            lastDenoised = step.Denoised.detach().clone().DetachFromDisposeScope();
            progress?.Invoke(step);
        }
        Tensor samples = DiffusionSampling.Sample(new SamplingRequest
        {
            Model = guider.Model,
            Noise = initialNoise,
            Guidance = guider.Rule,
            LatentImage = latentImage,
            DenoiseMask = latent.NoiseMask,
            Sigmas = sigmas,
            Sampler = sampler,
            Seed = noise.Seed,
            Callback = Capture,
            CancellationToken = cancellationToken,
        });
        Tensor denoised;
        if (lastDenoised is null)
        {
            denoised = samples;
        }
        else
        {
            denoised = lastDenoised.to_type(ScalarType.Float32).Div(network.LatentFormat.ScaleFactor);
            lastDenoised.Dispose();
        }
        Tensor output = samples.MoveToOuterDisposeScope();
        Tensor denoisedOut = ReferenceEquals(denoised, samples) ? output : denoised.MoveToOuterDisposeScope();
        return new CustomSamplingResult(latent with { Samples = output }, latent with { Samples = denoisedOut });
    }
}
