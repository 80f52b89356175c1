using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Models;

/// <summary>What a diffusion network predicts.</summary>
public enum ModelPrediction
{
    /// <summary>The added noise (SD1.x, SDXL).</summary>
    Epsilon,
    /// <summary>The velocity (SD2.x 768-v).</summary>
    Velocity,
    /// <summary>The clean sample itself (the reference's X0).</summary>
    Sample,
    /// <summary>The EDM preconditioned output (ModelSamplingContinuousEDM "edm").</summary>
    Edm,
}

/// <summary>
/// A diffusion network (the UNet) as the samplers see it. Parameters of <see cref="Module"/> are named
/// exactly as the checkpoint keys without the <c>model.diffusion_model.</c> prefix, so weight patches
/// (LoRA) can address them.
/// </summary>
public interface IDiffusionNetwork
{
    /// <summary>The network's raw output for latent <paramref name="x"/> (already scaled for the network), discrete <paramref name="timesteps"/> [B] and cross-attention <paramref name="context"/> [B, T, D]; <paramref name="y"/> is the class/pooled vector of SDXL.</summary>
    Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y = null);

    /// <summary>The module holding the weights.</summary>
    nn.Module Module { get; }

    /// <summary>What <see cref="Forward"/> predicts.</summary>
    ModelPrediction Prediction { get; }

    /// <summary>The latent format (scale factor, preview factors).</summary>
    LatentFormat LatentFormat { get; }

    /// <summary>Device the weights live on.</summary>
    Device Device { get; }

    /// <summary>Dtype used for computation.</summary>
    ScalarType ComputeType { get; }

    /// <summary>Width of the ADM vector <c>y</c> the network takes (SDXL 2816, refiner 2560), or null when it takes none.</summary>
    int? AdmChannels => null;
}

/// <summary>Per-model latent constants.</summary>
/// <param name="Channels">Latent channels (4 for SD1.x/SDXL).</param>
/// <param name="ScaleFactor">VAE latent scale (0.18215 for SD1.x, 0.13025 for SDXL).</param>
/// <param name="Latent2RgbFactors">[C][3] factors for cheap previews.</param>
/// <param name="Latent2RgbBias">Bias for previews, or null.</param>
public sealed record LatentFormat(int Channels, double ScaleFactor, double[][] Latent2RgbFactors, double[]? Latent2RgbBias)
{
    /// <summary>
    /// Name prefix of the family's TAESD decoder in the <c>vae_approx</c> folder (e.g. <c>taesd_decoder</c>),
    /// or null when the family has none.
    /// </summary>
    public string? TaesdDecoderName { get; init; }
}

/// <summary>
/// A change to one weight, applied while the model runs and removed afterwards (LoRA and friends).
/// <see cref="ComputeDelta"/> receives the original weight and returns the difference to add before
/// scaling by <see cref="Strength"/>.
/// </summary>
/// <param name="Key">Parameter name in the patched module.</param>
/// <param name="Strength">Multiplier of the delta.</param>
/// <param name="ComputeDelta">Computes the delta for the original weight.</param>
public sealed record WeightPatch(string Key, double Strength, Func<Tensor, Tensor> ComputeDelta);

/// <summary>
/// The MODEL value: a shared network plus the patches of this branch of the graph. Cloning with
/// new patches never copies weights, so LoRA nodes never reload the checkpoint.
/// </summary>
public sealed class ModelPatcher
{
    /// <summary>Wraps a network without patches.</summary>
    public ModelPatcher(IDiffusionNetwork network, IReadOnlyList<WeightPatch>? patches = null)
    {
        Network = network;
        Patches = patches ?? [];
    }

    /// <summary>The shared network.</summary>
    public IDiffusionNetwork Network { get; }

    /// <summary>The patches to apply while sampling.</summary>
    public IReadOnlyList<WeightPatch> Patches { get; }

    /// <summary>The noise schedule and prediction maths set by a ModelSampling* node; null = the network's default.</summary>
    public Sampling.ModelSamplingDiscrete? Sampling { get; init; }

    /// <summary>The runtime hooks (CFG functions, UNet block and attention patches) of this branch.</summary>
    public ModelOptions Options { get; init; } = ModelOptions.None;

    /// <summary>A copy with more patches.</summary>
    public ModelPatcher WithPatches(IEnumerable<WeightPatch> more) => new(Network, Patches.Concat(more).ToList()) { Sampling = Sampling, Options = Options };

    /// <summary>A copy sampling with <paramref name="sampling"/> (ModelSampling* nodes).</summary>
    public ModelPatcher WithSampling(Sampling.ModelSamplingDiscrete sampling) => new(Network, Patches) { Sampling = sampling, Options = Options };

    /// <summary>A copy whose hooks are <paramref name="change"/> applied to this one's (model patch nodes).</summary>
    public ModelPatcher WithOptions(Func<ModelOptions, ModelOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return new(Network, Patches) { Sampling = Sampling, Options = change(Options) };
    }

    /// <inheritdoc />
    public override string ToString() => $"ModelPatcher({Network.GetType().Name}, patches={Patches.Count})";
}
