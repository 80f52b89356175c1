using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>One per-step progress report of <see cref="DiffusionSampling.Sample"/>.</summary>
/// <param name="Step">Step index (0-based).</param>
/// <param name="TotalSteps">Number of steps being run (σ count − 1).</param>
/// <param name="Denoised">The denoised prediction x0 in the sampler's (scaled) latent space.</param>
/// <param name="X">The current latent.</param>
public readonly record struct SamplingProgress(int Step, int TotalSteps, Tensor Denoised, Tensor X);

/// <summary>Everything one sampling run needs (what KSampler gathers from its inputs).</summary>
public sealed record SamplingRequest
{
    /// <summary>The model with its patches.</summary>
    public required ModelPatcher Model { get; init; }
    /// <summary>Initial noise, shaped like the latent.</summary>
    public required Tensor Noise { get; init; }
    /// <summary>Positive conditioning (plain CFG, when <see cref="Guidance"/> is null).</summary>
    public Conditioning? Positive { get; init; }
    /// <summary>Negative conditioning (plain CFG, when <see cref="Guidance"/> is null).</summary>
    public Conditioning? Negative { get; init; }
    /// <summary>Guidance scale (plain CFG, when <see cref="Guidance"/> is null).</summary>
    public double Cfg { get; init; } = 1.0;
    /// <summary>Another guidance rule than CFG over <see cref="Positive"/> and <see cref="Negative"/> (custom sampling's guiders).</summary>
    public GuidanceRule? Guidance { get; init; }
    /// <summary>The input latent in VAE space.</summary>
    public required Tensor LatentImage { get; init; }
    /// <summary>Noise mask (1 = resample), any spatial size, or null.</summary>
    public Tensor? DenoiseMask { get; init; }
    /// <summary>The σ list to run.</summary>
    public required float[] Sigmas { get; init; }
    /// <summary>The sampler name (when <see cref="Sampler"/> is null).</summary>
    public string SamplerName { get; init; } = "euler";
    /// <summary>A sampler with its options (custom sampling's SAMPLER), used instead of <see cref="SamplerName"/>.</summary>
    public SamplerDefinition? Sampler { get; init; }
    /// <summary>The seed (ancestral/SDE noise derives from it).</summary>
    public required ulong Seed { get; init; }
    /// <summary>Called after each step's first model evaluation.</summary>
    public Action<SamplingProgress>? Callback { get; init; }
    /// <summary>Interrupt.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>
/// The reference's sampling pipeline around a sampler: scale the latent into the model's space,
/// start from noise (sqrt(1 + σ₀²)·noise at full denoise, else latent + σ₀·noise), keep the
/// unmasked area on the input latent, guide with CFG, apply the model's weight patches for the
/// duration, and scale the result back.
/// </summary>
public static class DiffusionSampling
{
    /// <summary>Runs the sampler; returns the samples in VAE latent space.</summary>
    public static Tensor Sample(SamplingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        float[] sigmas = request.Sigmas;
        if (sigmas.Length == 0)
        {
            return request.LatentImage.clone();
        }
        IDiffusionNetwork network = request.Model.Network;
        var sampling = ModelSamplingDiscrete.For(request.Model);
        double scale = network.LatentFormat.ScaleFactor;
        SamplerDefinition sampler = request.Sampler ?? SamplerRegistry.Get(request.SamplerName);
        GuidanceRule rule = request.Guidance ?? new CfgRule(
            request.Positive ?? throw new ArgumentException("Positive conditioning is required without a guidance rule.", nameof(request)),
            request.Negative ?? throw new ArgumentException("Negative conditioning is required without a guidance rule.", nameof(request)),
            request.Cfg);

        lock (network.Module)
        {
            using var patches = WeightPatching.Apply(network.Module, request.Model.Patches);
            using var scope = NewDisposeScope();
            Tensor latent = request.LatentImage.to_type(ScalarType.Float32);
            if (latent.count_nonzero().item<long>() > 0)
            {
                latent = latent.Mul(scale);
            }
            Tensor noise = request.Noise.to_type(ScalarType.Float32);
            Tensor? mask = request.DenoiseMask is null ? null : PrepareMask(request.DenoiseMask, noise.shape);
            var modelInputs = new ModelCondInputs(noise.shape, request.Seed) { LatentImage = latent, DenoiseMask = mask };
            var guider = new CfgGuider(network, sampling, rule, latent.shape[2], latent.shape[3], modelInputs)
            {
                AlwaysComputeUncond = sampler.NeedsUncondPrediction,
                Options = request.Model.Options,
                MaxSampleSigma = sigmas.Max(),
                OriginalWeight = patches.BackupOf,
            };
            DenoiseMaskFunction? maskFunction = request.Model.Options.DenoiseMask;
            var maskStep = new DenoiseMaskStep(sigmas, sampling);
            Tensor inpaintNoise = noise;
            if (sampler.RandomInpaintNoise)
            {
                using var generator = new Generator(unchecked(request.Seed + 1), CPU);
                inpaintNoise = randn(noise.shape, ScalarType.Float32, CPU, generator: generator);
            }
            SamplerContext? context = null;
            Tensor Denoise(Tensor x, Tensor sigma)
            {
                using var inner = NewDisposeScope();
                Tensor? latentMask = null;
                Tensor? stepMask = mask is not null && maskFunction is not null ? maskFunction(sigma, mask, maskStep) : mask;
                if (stepMask is not null)
                {
                    latentMask = stepMask.RSub(1.0);
                    Tensor s = ModelSamplingDiscrete.AppendDims(sigma, inpaintNoise.dim());
                    x = (x * stepMask).Add((inpaintNoise * s).Add(latent) * latentMask);
                }
                Tensor output = guider.Predict(x, sigma);
                // A copy owned by the sampler's step, like the denoised output itself.
                context!.LastUncondDenoised = guider.LastUncond?.clone().MoveToOuterDisposeScope();
                if (stepMask is not null)
                {
                    output = (output * stepMask).Add(latent * latentMask!);
                }
                return output.MoveToOuterDisposeScope();
            }
            int total = sigmas.Length - 1;
            context = new SamplerContext(Denoise, sampling, request.Seed)
            {
                Callback = request.Callback is null ? null : step => request.Callback(new SamplingProgress(step.Index, total, step.Denoised, step.X)),
                CancellationToken = request.CancellationToken,
            };
            bool maxDenoise = sampling.IsMaxDenoise(sigmas[0]);
            Tensor start = ModelSamplingDiscrete.NoiseScaling(sigmas[0], noise, latent, maxDenoise);
            Tensor samples = sampler.Run(context, start, sigmas);
            Tensor result = samples.to_type(ScalarType.Float32).Div(scale);
            return result.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Resizes a noise mask to the latent (bilinear), repeats it over channels and batch.</summary>
    public static Tensor PrepareMask(Tensor mask, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(shape);
        using var scope = NewDisposeScope();
        Tensor m = mask.to_type(ScalarType.Float32).cpu().reshape(-1, 1, mask.shape[^2], mask.shape[^1]);
        m = nn.functional.interpolate(m, [shape[2], shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        if (m.shape[1] < shape[1])
        {
            m = m.repeat(1, shape[1], 1, 1)[.., ..(int)shape[1]];
        }
        return CfgGuider.RepeatToBatch(m, shape[0]).MoveToOuterDisposeScope();
    }
}
