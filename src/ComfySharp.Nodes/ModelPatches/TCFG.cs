using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Tangential Damping CFG: aligns the negative prediction with the positive one by dropping its tangential part.</summary>
public sealed class TCFG : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();

    private static readonly NodeSchema Definition = PatchSupport.Schema("TCFG", "advanced/guidance", "comfy_extras.nodes_tcfg", [Model], "patched_model") with { DisplayName = "Tangential Damping CFG" };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PreCfgFunction function = GuidanceReshaping.Tcfg();
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPreCfg(function))));
    }
}
