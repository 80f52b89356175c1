using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// A control model with its hint, strength and schedule range, chained after the control already on the
/// conditioning (the reference's <c>ControlNet</c>, <c>ControlLora</c> and <c>T2IAdapter</c> objects after
/// <c>set_cond_hint</c> and <c>set_previous_controlnet</c>). The hint is resized (nearest-exact, centre crop) to 8× the
/// latent once per latent size and kept (T2I-Adapters: rounded up to a multiple of their unshuffle factor, averaged to
/// one channel for one-channel adapters, and their features computed once per size); residuals are scaled by the
/// strength and added to those of the previous controls.
/// </summary>
public sealed class AppliedControlNet : IControlProvider
{
    /// <summary>Pixels per latent cell of SD ControlNets' hints.</summary>
    public const int CompressionRatio = 8;

    /// <summary>How the hint is resized to the latent's pixel size.</summary>
    public const string HintResampling = "nearest-exact";

    private readonly Lock _gate = new();
    private Tensor? _hint;
    private (long Batch, long Height, long Width, List<Tensor?> Input, Tensor? Middle)? _adapterFeatures;

    /// <summary>
    /// Attaches <paramref name="network"/> with <paramref name="hint"/> ([B, C, H, W], 0..1); <paramref name="controlType"/> is
    /// a union ControlNet's type list (SetUnionControlNetType).
    /// </summary>
    public AppliedControlNet(IControlModel network, Tensor hint, double strength, double startPercent, double endPercent, IControlProvider? previous,
        IReadOnlyList<int>? controlType = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(hint);
        Network = network;
        ControlType = controlType ?? [];
        Hint = hint;
        Strength = strength;
        StartPercent = startPercent;
        EndPercent = endPercent;
        Previous = previous;
    }

    /// <summary>The control model.</summary>
    public IControlModel Network { get; }

    /// <summary>The union control types (empty = auto).</summary>
    public IReadOnlyList<int> ControlType { get; }

    /// <summary>The hint as given ([B, C, H, W]).</summary>
    public Tensor Hint { get; }

    /// <summary>Multiplier of the residuals.</summary>
    public double Strength { get; }

    /// <summary>Fraction of the schedule where the control starts.</summary>
    public double StartPercent { get; }

    /// <summary>Fraction of the schedule where the control ends.</summary>
    public double EndPercent { get; }

    /// <summary>The control chained before this one, or null.</summary>
    public IControlProvider? Previous { get; }

    /// <inheritdoc />
    public ControlResiduals? GetControl(Tensor x, Tensor sigma, Tensor context, int batchedNumber, ModelSamplingDiscrete sampling, Tensor? y = null, IDiffusionNetwork? model = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sampling);
        ControlResiduals? previous = Previous?.GetControl(x, sigma, context, batchedNumber, sampling, y, model);
        float s0 = sigma[0].item<float>();
        if (s0 > (float)sampling.PercentToSigma(StartPercent) || s0 < (float)sampling.PercentToSigma(EndPercent))
        {
            return previous;
        }
        using var scope = NewDisposeScope();
        List<Tensor?> output = [], input = [];
        Tensor? middle;
        if (Network is T2IAdapterModel adapter)
        {
            (input, middle) = AdapterFeatures(adapter, x, batchedNumber);
        }
        else
        {
            ControlNetModel network = Network switch
            {
                ControlNetModel plain => plain,
                ControlLora lora => lora.For(model ?? throw new InvalidOperationException("A control-LoRA is built on the sampled model; none was given.")),
                _ => throw new NotSupportedException($"Unknown control model {Network.GetType().Name}."),
            };
            Tensor hint = PreparedHint(x.shape[3] * CompressionRatio, x.shape[2] * CompressionRatio, averageToChannels: 0);
            if (hint.shape[0] != x.shape[0])
            {
                hint = BroadcastImageTo(hint, x.shape[0], batchedNumber);
            }
            Tensor xc = ModelSamplingDiscrete.CalculateInput(sigma, x);
            Tensor t = sampling.Timestep(sigma).to_type(ScalarType.Float32);
            var (outputs, mid) = network.Forward(xc, hint, t, context, y, ControlType);
            output = [.. outputs];
            middle = mid;
        }
        var residuals = new ControlResiduals(
            MergeLists(output, previous?.Output),
            Merge(middle?.Mul(Strength), previous?.Middle))
        {
            Input = MergeLists(input, previous?.Input),
        };
        foreach (Tensor? m in residuals.Output.Concat(residuals.Input).Append(residuals.Middle))
        {
            m?.MoveToOuterDisposeScope();
        }
        return residuals;
    }

    /// <summary>
    /// The reference's <c>broadcast_image_to</c>: a single hint is left to broadcast; otherwise the hints are cut
    /// or cycled to one entry's share of the batch and repeated for each of the <paramref name="batchedNumber"/> entries.
    /// </summary>
    public static Tensor BroadcastImageTo(Tensor hint, long targetBatch, int batchedNumber)
    {
        ArgumentNullException.ThrowIfNull(hint);
        long current = hint.shape[0];
        if (current == 1)
        {
            return hint;
        }
        using var scope = NewDisposeScope();
        long perBatch = targetBatch / Math.Max(1, batchedNumber);
        Tensor t = hint[..(int)Math.Min(perBatch, current)];
        if (perBatch > t.shape[0])
        {
            long n = t.shape[0];
            var parts = Enumerable.Repeat(t, (int)(perBatch / n)).ToList();
            parts.Add(t[..(int)(perBatch % n)]);
            t = cat(parts, 0);
        }
        if (t.shape[0] != targetBatch)
        {
            t = cat(Enumerable.Repeat(t, batchedNumber).ToList(), 0);
        }
        return t.MoveToOuterDisposeScope();
    }

    /// <summary>Residuals × strength added index by index to the previous control's; the longer list's tail is kept.</summary>
    private List<Tensor?> MergeLists(List<Tensor?> current, IReadOnlyList<Tensor?>? previous)
    {
        var merged = new List<Tensor?>(Math.Max(current.Count, previous?.Count ?? 0));
        for (int i = 0; i < Math.Max(current.Count, previous?.Count ?? 0); i++)
        {
            Tensor? mine = i < current.Count ? current[i]?.Mul(Strength) : null;
            merged.Add(Merge(mine, previous is not null && i < previous.Count ? previous[i] : null));
        }
        return merged;
    }

    /// <summary>
    /// The adapter's features for this latent size (the reference's <c>T2IAdapter.get_control</c>): the hint resized to 8× the
    /// latent rounded up to the unshuffle factor, averaged to one channel for one-channel adapters, broadcast to the batch, and
    /// run once per size and batch.
    /// </summary>
    private (List<Tensor?> Input, Tensor? Middle) AdapterFeatures(T2IAdapterModel adapter, Tensor x, int batchedNumber)
    {
        long width = x.shape[3] * CompressionRatio, height = x.shape[2] * CompressionRatio;
        lock (_gate)
        {
            if (_adapterFeatures is not { } cached || cached.Batch != x.shape[0] || cached.Height != height || cached.Width != width)
            {
                if (_adapterFeatures is { } old)
                {
                    old.Input.ForEach(t => t?.Dispose());
                    old.Middle?.Dispose();
                }
                using var scope = NewDisposeScope();
                int unshuffle = adapter.UnshuffleAmount;
                Tensor hint = PreparedHint(RoundUp(width, unshuffle), RoundUp(height, unshuffle), adapter.HintChannels);
                if (hint.shape[0] != x.shape[0])
                {
                    hint = BroadcastImageTo(hint, x.shape[0], batchedNumber);
                }
                var (input, middle) = adapter.Forward(hint.to(ScalarType.Float32, x.device));
                input.ForEach(t => t?.DetachFromDisposeScope());
                middle?.DetachFromDisposeScope();
                _adapterFeatures = (x.shape[0], height, width, input, middle);
            }
            var features = _adapterFeatures.Value;
            return (features.Input.Select(t => t?.alias()).ToList(), features.Middle?.alias());
        }
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private Tensor PreparedHint(long width, long height, int averageToChannels)
    {
        lock (_gate)
        {
            if (_hint is null || _hint.shape[2] != height || _hint.shape[3] != width)
            {
                _hint?.Dispose();
                using var scope = NewDisposeScope();
                Tensor resized = Resampling.CommonUpscale(Hint.to_type(ScalarType.Float32), width, height, HintResampling, "center");
                if (averageToChannels == 1 && resized.shape[1] > 1)
                {
                    resized = resized.mean([1L], keepdim: true);
                }
                _hint = resized.contiguous().DetachFromDisposeScope();
            }
            return _hint.alias();
        }
    }

    private static Tensor? Merge(Tensor? current, Tensor? previous) =>
        current is null ? previous : previous is null ? current : current.Add(previous);
}
