using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Self-attention guidance: blurs the negative prediction where the middle block attends most and steers away from its re-prediction.</summary>
public sealed class SelfAttentionGuidance : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Guidance weight.</summary>
    public static readonly FloatInput Scale = new("scale") { Default = 0.5, Min = -2.0, Max = 5.0, Step = 0.01 };
    /// <summary>σ of the Gaussian blur.</summary>
    public static readonly FloatInput BlurSigma = new("blur_sigma") { Default = 2.0, Min = 0.0, Max = 10.0, Step = 0.1 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("SelfAttentionGuidance", "_for_testing", "comfy_extras.nodes_sag", [Model, Scale, BlurSigma])
        with { DisplayName = "Self-Attention Guidance", Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double scale = inputs.Get(Scale), sigma = inputs.Get(BlurSigma);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => SelfAttentionGuidancePatch.Apply(o, scale, sigma))));
    }
}
