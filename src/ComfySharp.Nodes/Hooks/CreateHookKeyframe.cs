using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Adds one keyframe to a hook schedule: from start_percent on, hook strengths are multiplied by strength_mult.</summary>
public sealed class CreateHookKeyframe : ComfyNode
{
    /// <summary>The multiplier.</summary>
    public static readonly FloatInput StrengthMult = HookSchema.Strength("strength_mult");
    /// <summary>Where it starts.</summary>
    public static readonly FloatInput StartPercent = HookSchema.Percent("start_percent", 0.0);
    /// <summary>Keyframes to add it to.</summary>
    public static readonly SocketInput<HookKeyframeGroup> PrevHookKf = HookSchema.Keyframes("prev_hook_kf");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookKeyframe", "Create Hook Keyframe", HookSchema.SchedulingCategory,
        [StrengthMult, StartPercent], [PrevHookKf], HookSchema.KeyframesOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        HookKeyframeGroup previous = inputs.GetOrDefault(PrevHookKf, HookKeyframeGroup.Empty);
        return ValueTask.FromResult(NodeOutput.Of(previous.Add(new HookKeyframe(inputs.Get(StrengthMult), inputs.Get(StartPercent)))));
    }
}
