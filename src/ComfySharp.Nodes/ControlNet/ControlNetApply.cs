using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using ComfySharp.Diffusion.ControlNet;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>The deprecated single-conditioning ControlNet apply: whole schedule, no negative.</summary>
public sealed class ControlNetApply : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningInput = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The ControlNet.</summary>
    public static readonly SocketInput<ControlNetValue> ControlNet = new("control_net", "CONTROL_NET") { OneElementSpec = true };
    /// <summary>The hint image.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Multiplier of the residuals.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ControlNetApply",
        DisplayName = "Apply ControlNet (OLD)",
        Category = "conditioning/controlnet",
        Deprecated = true,
        Required = [ConditioningInput, ControlNet, Image, Strength],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue conditioning = inputs.Get(ConditioningInput);
        double strength = inputs.Get(Strength);
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(conditioning));
        }
        ControlNetValue controlNet = inputs.Get(ControlNet);
        Tensor hint = ControlNetApplication.Hint(inputs.Get(Image), controlNet);
        var result = new ConditioningValue();
        foreach (ConditioningEntry entry in conditioning)
        {
            // Each entry gets its own control (the reference copies the ControlNet per entry here).
            var control = new AppliedControlNet(controlNet.Network, hint, strength, 0.0, 1.0, entry.Get(ControlHook.ControlKey) as IControlProvider, controlNet.ControlType);
            result.Add(entry.With(ControlHook.ControlKey, control).With(ControlHook.ApplyToUncondKey, true));
        }
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
