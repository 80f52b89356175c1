using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Differential diffusion: a soft inpainting mask sets, per pixel, how late in sampling that pixel starts changing.</summary>
public sealed class DifferentialDiffusion : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Blend of the per-step binary mask with the soft mask (1 = binary only).</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("DifferentialDiffusion", "_for_testing", "comfy_extras.nodes_differential_diffusion", [Model])
        with { DisplayName = "Differential Diffusion", Experimental = true, Optional = [Strength] };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double strength = inputs.GetOrDefault(Strength, 1.0);
        DenoiseMaskFunction function = DifferentialDiffusionPatch.Create(strength);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o with { DenoiseMask = function })));
    }
}
