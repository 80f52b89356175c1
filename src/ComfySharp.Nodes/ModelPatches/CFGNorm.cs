using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Caps the guided prediction's channel norm at the positive prediction's, times a strength.</summary>
public sealed class CFGNorm : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Factor on the normalised result.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 100.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("CFGNorm", "advanced/guidance", "comfy_extras.nodes_cfg", [Model, Strength], "patched_model") with { Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidancePatches.CfgNorm(inputs.Get(Strength));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function))));
    }
}
