using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>
/// The reference's <c>Epsilon Scaling</c> (the class type has a space, which a C# name cannot): divides the
/// guided noise prediction by a factor slightly above 1 against exposure bias.
/// </summary>
public sealed class EpsilonScaling : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Divisor of the predicted noise.</summary>
    public static readonly FloatInput ScalingFactor = new("scaling_factor") { Default = 1.005, Min = 0.5, Max = 1.5, Step = 0.001, Display = "number" };

    private static readonly NodeSchema Definition = PatchSupport.Schema("Epsilon Scaling", "model_patches/unet", "comfy_extras.nodes_eps", [Model, ScalingFactor]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidancePatches.EpsilonScaling(inputs.Get(ScalingFactor));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function))));
    }
}
