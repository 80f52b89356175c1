using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>CFG-Zero*: rescales the negative prediction by its optimal projection before guidance.</summary>
public sealed class CFGZeroStar : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();

    private static readonly NodeSchema Definition = PatchSupport.Schema("CFGZeroStar", "advanced/guidance", "comfy_extras.nodes_cfg", [Model], "patched_model");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidancePatches.CfgZeroStar();
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function))));
    }
}
