using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Restricts a conditioning to a mask, optionally evaluated only on the mask's bounding box.</summary>
public sealed class ConditioningSetMask : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK) { OneElementSpec = true };
    /// <summary>Weight of the mask.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };
    /// <summary><c>default</c> or <c>mask bounds</c>.</summary>
    public static readonly ComboInput SetCondArea = new("set_cond_area", ["default", "mask bounds"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningSetMask",
        DisplayName = "Conditioning (Set Mask)",
        Category = "conditioning",
        Required = [Conditioning, Mask, Strength, SetCondArea],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor mask = inputs.Get(Mask);
        if (mask.dim() < 3)
        {
            mask = mask.unsqueeze(0).DetachFromDisposeScope();
        }
        bool toBounds = inputs.Get(SetCondArea) == "mask bounds";
        double strength = inputs.Get(Strength);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e => e
            .With(ConditioningKeys.Mask, mask)
            .With(ConditioningKeys.SetAreaToBounds, toBounds)
            .With(ConditioningKeys.MaskStrength, strength)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
