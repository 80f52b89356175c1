using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Mahiro CFG: leans the guided result toward the scaled positive prediction where it disagrees with the negative one.</summary>
public sealed class Mahiro : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();

    private static readonly NodeSchema Definition = PatchSupport.Schema("Mahiro", "_for_testing", "comfy_extras.nodes_mahiro", [Model], "patched_model") with { DisplayName = "Mahiro CFG", Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidanceReshaping.Mahiro();
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function))));
    }
}
