using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>The deprecated Perp-Neg model patch (PerpNegGuider replaces it): perpendicular negative guidance as a CFG function.</summary>
public sealed class PerpNeg : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>The empty prompt's conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> EmptyConditioning = new("empty_conditioning", IOTypes.CONDITIONING);
    /// <summary>Weight of the perpendicular negative direction.</summary>
    public static readonly FloatInput NegScale = new("neg_scale") { Default = 1.0, Min = 0.0, Max = 100.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("PerpNeg", "_for_testing", "comfy_extras.nodes_perpneg", [Model, EmptyConditioning, NegScale])
        with { DisplayName = "Perp-Neg (DEPRECATED by PerpNegGuider)", Experimental = true, Deprecated = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CfgFunction function = GuidancePatches.PerpNeg(inputs.Get(EmptyConditioning), inputs.Get(NegScale));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o with { SamplerCfgFunction = function })));
    }
}
