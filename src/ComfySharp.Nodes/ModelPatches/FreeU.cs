using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>FreeU: amplifies the decoder's backbone features and damps the low frequencies of its skip connections.</summary>
public sealed class FreeU : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Backbone factor at the deepest decoder level.</summary>
    public static readonly FloatInput B1 = new("b1") { Default = 1.1, Min = 0.0, Max = 10.0, Step = 0.01 };
    /// <summary>Backbone factor at the next level.</summary>
    public static readonly FloatInput B2 = new("b2") { Default = 1.2, Min = 0.0, Max = 10.0, Step = 0.01 };
    /// <summary>Low-frequency factor of the skip connection at the deepest level.</summary>
    public static readonly FloatInput S1 = new("s1") { Default = 0.9, Min = 0.0, Max = 10.0, Step = 0.01 };
    /// <summary>Low-frequency factor of the skip connection at the next level.</summary>
    public static readonly FloatInput S2 = new("s2") { Default = 0.2, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = PatchSupport.Schema("FreeU", "model_patches/unet", "comfy_extras.nodes_freelunch", [Model, B1, B2, S1, S2]);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher model = inputs.Get(Model);
        OutputBlockPatch patch = FreeUPatch.Create(PatchSupport.ModelChannels(model, "FreeU"), inputs.Get(B1), inputs.Get(B2), inputs.Get(S1), inputs.Get(S2), version2: false);
        return ValueTask.FromResult(NodeOutput.Of(model.WithOptions(o => o with { OutputBlockPatches = [.. o.OutputBlockPatches, patch] })));
    }
}
