using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Perturbed-attention guidance: steers away from the prediction made with the middle block's self-attention replaced by identity.</summary>
public sealed class PerturbedAttentionGuidance : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Guidance weight (0 = off).</summary>
    public static readonly FloatInput Scale = new("scale") { Default = 3.0, Min = 0.0, Max = 100.0, Step = 0.01, Round = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("PerturbedAttentionGuidance", "model_patches/unet", "comfy_extras.nodes_pag", [Model, Scale]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidancePatches.PerturbedAttention(inputs.Get(Scale));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function, disableCfg1Optimization: true))));
    }
}
