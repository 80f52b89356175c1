using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Models;

/// <summary>
/// The hooks of one UNet evaluation and where the evaluation currently is (the reference's
/// transformer_options). The guider opens it around the network call with <see cref="Enter"/>; the
/// UNet and its transformers read <see cref="Current"/>. It flows with the call (an
/// <see cref="AsyncLocal{T}"/>), not through the network's signature, because the network is shared
/// by every branch of the graph, ControlNets call it too, and it is locked for the whole sampling
/// run, so no other run can see this evaluation's hooks.
/// </summary>
public sealed class UNetHookContext
{
    private static readonly AsyncLocal<UNetHookContext?> Ambient = new();

    private UNetHookContext(ModelOptions options, Tensor sigma, IReadOnlyList<int> condOrUncond, long[] originalShape)
    {
        Options = options;
        Sigma = sigma;
        CondOrUncond = condOrUncond;
        OriginalShape = originalShape;
    }

    /// <summary>The hooks of the evaluation running on this flow, or null when it has none.</summary>
    public static UNetHookContext? Current => Ambient.Value;

    /// <summary>The hooks.</summary>
    public ModelOptions Options { get; }

    /// <summary>σ per batch item of this evaluation.</summary>
    public Tensor Sigma { get; }

    /// <summary>For each equal chunk of the batch, the index of the conditioning list it came from (0 = positive, 1 = negative for CFG).</summary>
    public IReadOnlyList<int> CondOrUncond { get; }

    /// <summary>Shape of the latent fed to the UNet [B, C, H, W].</summary>
    public long[] OriginalShape { get; }

    /// <summary>The block running now.</summary>
    public UNetBlock Block { get; set; }

    /// <summary>Index of the transformer block running now inside its SpatialTransformer.</summary>
    public int TransformerIndex { get; set; }

    /// <summary>Heads of the attention running now.</summary>
    public int Heads { get; set; }

    /// <summary>Makes <paramref name="options"/> the hooks of evaluations on this flow until the result is disposed; null when there are none.</summary>
    public static IDisposable? Enter(ModelOptions options, Tensor sigma, IReadOnlyList<int> condOrUncond, long[] originalShape)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.HasUNetHooks)
        {
            return null;
        }
        var previous = Ambient.Value;
        Ambient.Value = new UNetHookContext(options, sigma, condOrUncond, originalShape);
        return new Exit(previous);
    }

    private sealed class Exit(UNetHookContext? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
