using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>Where sampling meets ControlNets: the conditioning key, and the controlled forward pass.</summary>
public static class ControlHook
{
    /// <summary>The CONDITIONING option holding an <see cref="IControlProvider"/> (the reference's <c>control</c>).</summary>
    public const string ControlKey = "control";

    /// <summary>The reference's legacy flag written by the old apply node (<c>control_apply_to_uncond</c>).</summary>
    public const string ApplyToUncondKey = "control_apply_to_uncond";

    /// <summary>Runs <paramref name="network"/> with <paramref name="residuals"/>; a network without the hook is a clear error.</summary>
    public static Tensor Forward(IDiffusionNetwork network, Tensor x, Tensor timesteps, Tensor context, Tensor? y, ControlResiduals residuals)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network is IControlledNetwork controlled
            ? controlled.Forward(x, timesteps, context, y, residuals)
            : throw new NotSupportedException($"The model {network.GetType().Name} does not accept ControlNet residuals.");
    }
}
