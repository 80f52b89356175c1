using ComfySharp.Diffusion.ControlNet;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>
/// The CONTROL_NET value: a loaded (shared) ControlNet and the union control type chosen by
/// <see cref="SetUnionControlNetType"/> (empty = automatic; plain ControlNets ignore it, as in the reference).
/// </summary>
/// <param name="Network">The network.</param>
/// <param name="ControlType">The union type numbers.</param>
public sealed record ControlNetValue(ControlNetModel Network, IReadOnlyList<int> ControlType)
{
    /// <inheritdoc />
    public override string ToString() => $"ControlNet({Network.Config.ModelChannels} channels, hint {Network.HintChannels})";
}
