using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Gives every hook of a group the same keyframe schedule (unchanged hooks without one).</summary>
public sealed class SetHookKeyframes : ComfyNode
{
    /// <summary>The hooks.</summary>
    public static readonly SocketInput<HookGroup> Hooks = HookSchema.Hooks("hooks");
    /// <summary>The schedule.</summary>
    public static readonly SocketInput<HookKeyframeGroup> HookKf = HookSchema.Keyframes("hook_kf");

    private static readonly NodeSchema Definition = HookSchema.Create("SetHookKeyframes", "Set Hook Keyframes", HookSchema.SchedulingCategory,
        [Hooks], [HookKf], HookSchema.HooksOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        HookGroup hooks = inputs.Get(Hooks);
        HookKeyframeGroup? keyframes = inputs.GetOrDefault(HookKf, null!);
        return ValueTask.FromResult(NodeOutput.Of(keyframes is null ? hooks : hooks.WithKeyframes(keyframes)));
    }
}
