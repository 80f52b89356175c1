using ComfySharp.Diffusion.ControlNet;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>
/// The CONTROL_NET value: a loaded (shared) control model (ControlNet, union ControlNet, control-LoRA or T2I-Adapter) and
/// the union control type chosen by <see cref="SetUnionControlNetType"/> (empty = automatic; other models ignore it, as in
/// the reference).
/// </summary>
/// <param name="Network">The control model.</param>
/// <param name="ControlType">The union type numbers.</param>
public sealed record ControlNetValue(IControlModel Network, IReadOnlyList<int> ControlType)
{
    /// <inheritdoc />
    public override string ToString() => Network switch
    {
        ControlNetModel net => $"ControlNet({net.Config.ModelChannels} channels, hint {net.HintChannels}{(net.Union is null ? "" : ", union")})",
        ControlLora lora => $"ControlLora({lora.Name}, hint {lora.HintChannels})",
        T2IAdapterModel adapter => $"T2IAdapter({(adapter.Light ? "light" : adapter.Xl ? "SDXL" : "full")}, hint {adapter.HintChannels})",
        _ => Network.GetType().Name,
    };
}
