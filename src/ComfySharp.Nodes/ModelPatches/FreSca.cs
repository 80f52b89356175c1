using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>FreSca: scales the guidance's low and high spatial frequencies separately.</summary>
public sealed class FreSca : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Factor on the low frequencies.</summary>
    public static readonly FloatInput ScaleLow = new("scale_low")
    {
        Default = 1.0,
        Min = 0.0,
        Max = 10.0,
        Step = 0.01,
        Tooltip = "Multiplier of the guidance's low-frequency part.",
    };
    /// <summary>Factor on the high frequencies.</summary>
    public static readonly FloatInput ScaleHigh = new("scale_high")
    {
        Default = 1.25,
        Min = 0.0,
        Max = 10.0,
        Step = 0.01,
        Tooltip = "Multiplier of the guidance's high-frequency part.",
    };
    /// <summary>Half-width of the low-frequency window.</summary>
    public static readonly IntInput FreqCutoff = new("freq_cutoff")
    {
        Default = 20,
        Min = 1,
        Max = 10000,
        Step = 1,
        Tooltip = "How many frequency indices on each side of the centre count as low frequencies.",
    };

    private static readonly NodeSchema Definition = PatchSupport.Schema("FreSca", "_for_testing", "comfy_extras.nodes_fresca", [Model, ScaleLow, ScaleHigh, FreqCutoff]) with { DisplayName = "FreSca", Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PreCfgFunction function = GuidanceReshaping.FreSca(inputs.Get(ScaleLow), inputs.Get(ScaleHigh), inputs.Get(FreqCutoff));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPreCfg(function))));
    }
}
