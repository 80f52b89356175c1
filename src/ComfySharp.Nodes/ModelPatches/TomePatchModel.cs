using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Token merging (ToMe SD): the full-resolution self-attentions run on fewer query tokens.</summary>
public sealed class TomePatchModel : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Share of the tokens merged away (0 = none).</summary>
    public static readonly FloatInput Ratio = new("ratio") { Default = 0.3, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("TomePatchModel", "model_patches/unet", "comfy_extras.nodes_tomesd", [Model, Ratio]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double ratio = inputs.Get(Ratio);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => TokenMergingPatch.Apply(o, ratio))));
    }
}
