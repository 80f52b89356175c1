using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>
/// What ControlNets and T2I-Adapters add to a UNet evaluation (the reference's <c>control</c> dictionary):
/// <see cref="Output"/> holds one residual per input block, in input-block order, added to that block's skip connection
/// when the decoder takes it; <see cref="Middle"/> is added to the middle block's output; <see cref="Input"/> (T2I-Adapters)
/// holds one residual per input block added to the block's output before it is kept as a skip. Null entries add nothing.
/// </summary>
/// <param name="Output">Skip residuals, index = input block.</param>
/// <param name="Middle">Middle-block residual.</param>
public sealed record ControlResiduals(IReadOnlyList<Tensor?> Output, Tensor? Middle)
{
    /// <summary>Residuals added right after each input block (the reference's <c>control["input"]</c>), index = input block.</summary>
    public IReadOnlyList<Tensor?> Input { get; init; } = [];

    /// <summary>Adds the residual of input block <paramref name="inputBlock"/> to its skip <paramref name="skip"/>.</summary>
    public Tensor ApplyToSkip(Tensor skip, int inputBlock)
    {
        ArgumentNullException.ThrowIfNull(skip);
        return inputBlock < Output.Count && Output[inputBlock] is { } residual ? Add(skip, residual) : skip;
    }

    /// <summary>
    /// Adds the <see cref="Input"/> residual of input block <paramref name="inputBlock"/> to the block's output; one whose
    /// channels or size differ is skipped, as the reference's <c>apply_control</c> skips (with a warning) a failed add.
    /// </summary>
    public Tensor ApplyToInput(Tensor h, int inputBlock)
    {
        ArgumentNullException.ThrowIfNull(h);
        return inputBlock < Input.Count && Input[inputBlock] is { } residual && residual.shape.Skip(1).SequenceEqual(h.shape.Skip(1))
            ? Add(h, residual) : h;
    }

    /// <summary>Adds the middle residual to the middle block's output.</summary>
    public Tensor ApplyToMiddle(Tensor h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return Middle is { } residual ? Add(h, residual) : h;
    }

    private static Tensor Add(Tensor h, Tensor residual) => h.Add(residual.to(h.dtype, h.device));
}

/// <summary>A diffusion network whose forward pass accepts ControlNet residuals (the LDM UNet).</summary>
public interface IControlledNetwork : IDiffusionNetwork
{
    /// <summary><see cref="IDiffusionNetwork.Forward"/> with <paramref name="control"/> residuals added inside.</summary>
    Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y, ControlResiduals? control);
}

/// <summary>
/// A control attached to CONDITIONING entries (option <c>control</c>): it computes the residuals for one
/// batched network call, including those of the controls chained before it.
/// </summary>
public interface IControlProvider
{
    /// <summary>
    /// The residuals for latent <paramref name="x"/> (unscaled, [B, C, H, W]) at <paramref name="sigma"/> ([B]) with
    /// cross-attention <paramref name="context"/>; <paramref name="batchedNumber"/> is how many conditioning entries
    /// share the batch; <paramref name="y"/> is the batch's ADM vector (SDXL) and <paramref name="model"/> the network
    /// being sampled (control-LoRAs are built on its weights). Null when no control in the chain is active at this σ.
    /// </summary>
    ControlResiduals? GetControl(Tensor x, Tensor sigma, Tensor context, int batchedNumber, ModelSamplingDiscrete sampling, Tensor? y = null, IDiffusionNetwork? model = null);
}

/// <summary>What CONTROL_NET loaders produce: a ControlNet, a control-LoRA (built on the sampled model) or a T2I-Adapter.</summary>
public interface IControlModel
{
    /// <summary>Channels of the hint image the model takes.</summary>
    int HintChannels { get; }
}
