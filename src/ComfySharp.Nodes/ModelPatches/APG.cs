using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Adaptive Projected Guidance: damps the part of the guidance parallel to the positive prediction, with optional momentum and a norm cap.</summary>
public sealed class APG : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Scale of the guidance's parallel part (1 = plain CFG).</summary>
    public static readonly FloatInput Eta = new("eta")
    {
        Default = 1.0,
        Min = -10.0,
        Max = 10.0,
        Step = 0.01,
        Tooltip = "Weight of the guidance component parallel to the positive prediction; 1 behaves like ordinary CFG.",
    };
    /// <summary>L2 cap of the guidance (0 = none).</summary>
    public static readonly FloatInput NormThreshold = new("norm_threshold")
    {
        Default = 5.0,
        Min = 0.0,
        Max = 50.0,
        Step = 0.1,
        Tooltip = "The guidance vector is shrunk to at most this length; 0 turns the cap off.",
    };
    /// <summary>Weight of the previous steps' guidance (0 = none).</summary>
    public static readonly FloatInput Momentum = new("momentum")
    {
        Default = 0.0,
        Min = -5.0,
        Max = 1.0,
        Step = 0.01,
        Tooltip = "Keeps a running sum of the guidance over the steps with this decay; 0 turns it off.",
    };

    private static readonly NodeSchema Definition = PatchSupport.Schema("APG", "sampling/custom_sampling", "comfy_extras.nodes_apg", [Model, Eta, NormThreshold, Momentum]) with { DisplayName = "Adaptive Projected Guidance" };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PreCfgFunction function = GuidanceReshaping.Apg(inputs.Get(Eta), inputs.Get(NormThreshold), inputs.Get(Momentum));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPreCfg(function))));
    }
}
