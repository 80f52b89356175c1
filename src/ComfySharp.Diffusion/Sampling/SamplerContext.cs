using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>The denoiser a sampler drives: latent x at noise level σ ([B]) → the predicted clean latent.</summary>
public delegate Tensor Denoiser(Tensor x, Tensor sigma);

/// <summary>What a sampler reports after each model evaluation of a step (the reference's callback dict).</summary>
/// <param name="Index">Step index i (0-based).</param>
/// <param name="X">The latent the step started from.</param>
/// <param name="Denoised">The denoised prediction (previews show it).</param>
/// <param name="Sigma">σ of the step.</param>
public readonly record struct SamplerStep(int Index, Tensor X, Tensor Denoised, float Sigma);

/// <summary>Everything a sampler needs besides x and σ: the model, progress callback, seed and noise sources.</summary>
public sealed class SamplerContext
{
    /// <summary>Creates a context.</summary>
    public SamplerContext(Denoiser model, ModelSamplingDiscrete sampling, ulong seed)
    {
        Model = model;
        Sampling = sampling;
        Seed = seed;
    }

    /// <summary>The guided denoiser.</summary>
    public Denoiser Model { get; }

    /// <summary>The model's noise schedule.</summary>
    public ModelSamplingDiscrete Sampling { get; }

    /// <summary>The sampling seed (noise samplers derive theirs from it).</summary>
    public ulong Seed { get; }

    /// <summary>Called once per step after the first model evaluation.</summary>
    public Action<SamplerStep>? Callback { get; init; }

    /// <summary>The unconditional prediction of the last model call (set by the guider; CFG++ samplers read it).</summary>
    public Tensor? LastUncondDenoised { get; set; }

    /// <summary>Interrupts a running sampler between model calls.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The default ancestral noise: a CPU generator seeded with seed + 1.</summary>
    public INoiseSampler DefaultNoise(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new GeneratorNoiseSampler(x.shape, Seed);
    }

    /// <summary>Brownian-tree noise over [σ_min, σ_max] for SDE samplers.</summary>
    public INoiseSampler BrownianNoise(Tensor x, float sigmaMin, float sigmaMax)
    {
        ArgumentNullException.ThrowIfNull(x);
        return new BrownianTreeNoiseSampler(x.shape, sigmaMin, sigmaMax, Seed);
    }

    /// <summary>
    /// The guided model's x₀ prediction for <paramref name="x"/> at <paramref name="sigma"/> (one σ for the whole batch);
    /// throws when the run is interrupted.
    /// </summary>
    public Tensor Denoise(Tensor x, float sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        CancellationToken.ThrowIfCancellationRequested();
        using Tensor s = ScalarMath.Full([x.shape[0]], sigma, ScalarType.Float32);
        return Model(x, s);
    }

    /// <summary>Reports step <paramref name="i"/> (progress and previews come from it); call it once per step.</summary>
    public void Report(int i, Tensor x, Tensor denoised, float sigma) =>
        Callback?.Invoke(new SamplerStep(i, x, denoised, sigma));
}
