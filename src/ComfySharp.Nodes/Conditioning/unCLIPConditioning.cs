using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Diffusion.UNet;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>
/// Adds an image (its CLIP vision encoding) to every entry of a conditioning for unCLIP models; applications add up,
/// and the model turns them into its ADM vector while sampling (<see cref="UnclipAdm"/>).
/// </summary>
#pragma warning disable IDE1006 // The class name is the reference's class_type, which starts with a lower-case letter.
public sealed class unCLIPConditioning : ComfyNode
#pragma warning restore IDE1006
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The image encoding.</summary>
    public static readonly SocketInput<ClipVisionOutput> ClipVisionOutput = new("clip_vision_output", "CLIP_VISION_OUTPUT") { OneElementSpec = true };
    /// <summary>Weight of the image.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = -10.0, Max = 10.0, Step = 0.01 };
    /// <summary>How much noise the image embedding gets (0..1 of the augmentor's schedule).</summary>
    public static readonly FloatInput NoiseAugmentation = new("noise_augmentation") { Default = 0.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "unCLIPConditioning",
        DisplayName = "unCLIPConditioning",
        Category = "conditioning",
        Required = [Conditioning, ClipVisionOutput, Strength, NoiseAugmentation],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue conditioning = inputs.Get(Conditioning);
        double strength = inputs.Get(Strength);
        if (strength == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(conditioning));
        }
        var condition = new UnclipCondition(inputs.Get(ClipVisionOutput), strength, inputs.Get(NoiseAugmentation));
        return ValueTask.FromResult(NodeOutput.Of(Apply(conditioning, condition)));
    }

    /// <summary>Each entry gets <paramref name="condition"/> appended to its list of unCLIP images.</summary>
    public static ConditioningValue Apply(ConditioningValue conditioning, UnclipCondition condition)
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        return new ConditioningValue(conditioning.Select(e =>
        {
            var previous = e.Get(UnclipAdm.Key) as IReadOnlyList<UnclipCondition> ?? [];
            return e.With(UnclipAdm.Key, (IReadOnlyList<UnclipCondition>)[.. previous, condition]);
        }));
    }
}
