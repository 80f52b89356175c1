using static TorchSharp.torch;

namespace ComfySharp.Torch;

/// <summary>
/// The LATENT value (NODES.md §2): <c>samples</c> [B, C, H/8, W/8], an optional <c>noise_mask</c>
/// [B or 1, 1, H', W'] (1 = resample) and an optional <c>batch_index</c> (each item's original index
/// for noise generation). Immutable: nodes derive new latents with <c>with</c>.
/// </summary>
public sealed record Latent
{
    /// <summary>Creates a latent from samples.</summary>
    public Latent(Tensor samples) => Samples = samples;

    /// <summary>The latent tensor.</summary>
    public Tensor Samples { get; init; }

    /// <summary>Where to resample (1) and where to keep (0); pixel- or latent-sized.</summary>
    public Tensor? NoiseMask { get; init; }

    /// <summary>Original batch indices for noise generation, or null for 0..B-1.</summary>
    public IReadOnlyList<long>? BatchIndex { get; init; }

    /// <summary>Optional <c>type</c> marker (video/audio latents).</summary>
    public string? Type { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"Latent(samples={string.Join('x', Samples.shape)})";
}
