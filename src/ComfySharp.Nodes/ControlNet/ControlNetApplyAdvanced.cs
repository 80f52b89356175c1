using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Diffusion.Vae;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>Attaches a ControlNet with a hint image, strength and schedule range to positive and negative conditioning.</summary>
public sealed class ControlNetApplyAdvanced : ComfyNode
{
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The ControlNet.</summary>
    public static readonly SocketInput<ControlNetValue> ControlNet = new("control_net", "CONTROL_NET") { OneElementSpec = true };
    /// <summary>The hint image.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Multiplier of the residuals.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };
    /// <summary>Where in the schedule the control starts.</summary>
    public static readonly FloatInput StartPercent = new("start_percent") { Default = 0.0, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>Where in the schedule the control ends.</summary>
    public static readonly FloatInput EndPercent = new("end_percent") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>VAE for ControlNets that take latent hints (SD1.x/SDXL ControlNets take pixels and ignore it).</summary>
    public static readonly SocketInput<VaeModel> Vae = new("vae", IOTypes.VAE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ControlNetApplyAdvanced",
        DisplayName = "Apply ControlNet",
        Category = "conditioning/controlnet",
        Required = [Positive, Negative, ControlNet, Image, Strength, StartPercent, EndPercent],
        Optional = [Vae],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue positive = inputs.Get(Positive), negative = inputs.Get(Negative);
        double strength = inputs.Get(Strength);
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(positive, negative));
        }
        ControlNetValue controlNet = inputs.Get(ControlNet);
        Tensor hint = ControlNetApplication.Hint(inputs.Get(Image), controlNet);
        double start = inputs.Get(StartPercent), end = inputs.Get(EndPercent);
        var shared = new Dictionary<object, AppliedControlNet>(ReferenceEqualityComparer.Instance);
        AppliedControlNet Create(IControlProvider? previous) => new(controlNet.Network, hint, strength, start, end, previous, controlNet.ControlType);
        return ValueTask.FromResult(NodeOutput.Of(
            ControlNetApplication.Attach(positive, shared, Create, applyToUncond: false),
            ControlNetApplication.Attach(negative, shared, Create, applyToUncond: false)));
    }
}
