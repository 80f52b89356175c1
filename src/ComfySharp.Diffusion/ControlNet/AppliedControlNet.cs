using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// A ControlNet with its hint, strength and schedule range, chained after the control already on the
/// conditioning (the reference's <c>ControlNet</c> object after <c>set_cond_hint</c> and
/// <c>set_previous_controlnet</c>). The hint is resized (nearest-exact, centre crop) to 8× the latent once per
/// latent size and kept; residuals are scaled by the strength and added to those of the previous controls.
/// </summary>
public sealed class AppliedControlNet : IControlProvider
{
    /// <summary>Pixels per latent cell of SD ControlNets' hints.</summary>
    public const int CompressionRatio = 8;

    /// <summary>How the hint is resized to the latent's pixel size.</summary>
    public const string HintResampling = "nearest-exact";

    private readonly Lock _gate = new();
    private Tensor? _hint;

    /// <summary>Attaches <paramref name="network"/> with <paramref name="hint"/> ([B, C, H, W], 0..1).</summary>
    public AppliedControlNet(ControlNetModel network, Tensor hint, double strength, double startPercent, double endPercent, IControlProvider? previous)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(hint);
        Network = network;
        Hint = hint;
        Strength = strength;
        StartPercent = startPercent;
        EndPercent = endPercent;
        Previous = previous;
    }

    /// <summary>The network.</summary>
    public ControlNetModel Network { get; }

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
    public ControlResiduals? GetControl(Tensor x, Tensor sigma, Tensor context, int batchedNumber, ModelSamplingDiscrete sampling)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sampling);
        ControlResiduals? previous = Previous?.GetControl(x, sigma, context, batchedNumber, sampling);
        float s0 = sigma[0].item<float>();
        if (s0 > (float)sampling.PercentToSigma(StartPercent) || s0 < (float)sampling.PercentToSigma(EndPercent))
        {
            return previous;
        }
        using var scope = NewDisposeScope();
        Tensor hint = PreparedHint(x.shape[3] * CompressionRatio, x.shape[2] * CompressionRatio);
        if (hint.shape[0] != x.shape[0])
        {
            hint = BroadcastImageTo(hint, x.shape[0], batchedNumber);
        }
        Tensor xc = ModelSamplingDiscrete.CalculateInput(sigma, x);
        Tensor t = sampling.Timestep(sigma).to_type(ScalarType.Float32);
        var (outputs, middle) = Network.Forward(xc, hint, t, context);
        var merged = new List<Tensor?>(outputs.Count);
        for (int i = 0; i < outputs.Count; i++)
        {
            merged.Add(Merge(outputs[i].Mul(Strength), previous is not null && i < previous.Output.Count ? previous.Output[i] : null));
        }
        if (previous is not null)
        {
            for (int i = outputs.Count; i < previous.Output.Count; i++)
            {
                merged.Add(previous.Output[i]);
            }
        }
        Tensor? mid = Merge(middle.Mul(Strength), previous?.Middle);
        foreach (Tensor? m in merged)
        {
            m?.MoveToOuterDisposeScope();
        }
        mid?.MoveToOuterDisposeScope();
        return new ControlResiduals(merged, mid);
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

    private Tensor PreparedHint(long width, long height)
    {
        lock (_gate)
        {
            if (_hint is null || _hint.shape[2] != height || _hint.shape[3] != width)
            {
                _hint?.Dispose();
                using var scope = NewDisposeScope();
                _hint = Resampling.CommonUpscale(Hint.to_type(ScalarType.Float32), width, height, HintResampling, "center")
                    .contiguous().DetachFromDisposeScope();
            }
            return _hint.alias();
        }
    }

    private static Tensor? Merge(Tensor? current, Tensor? previous) =>
        current is null ? previous : previous is null ? current : current.Add(previous);
}
