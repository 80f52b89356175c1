using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// Puts hooks on a CLIP: their CLIP weights apply while it encodes text (at each hook's CLIP strength, or per keyframe
/// range with schedule_clip), and with apply_to_conds the encoded conditioning carries the hooks into sampling.
/// </summary>
public sealed class SetClipHooks : ComfyNode
{
    /// <summary>The CLIP.</summary>
    public static readonly SocketInput<object> Clip = new("clip", IOTypes.CLIP) { OneElementSpec = true };
    /// <summary>Attach the hooks to the encoded conditioning.</summary>
    public static readonly BooleanInput ApplyToConds = new("apply_to_conds") { Default = true };
    /// <summary>Encode once per keyframe range.</summary>
    public static readonly BooleanInput ScheduleClip = new("schedule_clip") { Default = false };
    /// <summary>The hooks.</summary>
    public static readonly SocketInput<HookGroup> Hooks = HookSchema.Hooks("hooks");

    private static readonly NodeSchema Definition = HookSchema.Create("SetClipHooks", "Set CLIP Hooks", "advanced/hooks/clip",
        [Clip, ApplyToConds, ScheduleClip], [Hooks], new OutputSpec(IOTypes.CLIP));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        object clip = inputs.Get(Clip);
        HookGroup? hooks = inputs.GetOrDefault(Hooks, null!);
        if (hooks is null)
        {
            return ValueTask.FromResult(NodeOutput.Of(clip));
        }
        if (clip is not ClipModel model)
        {
            throw new InvalidOperationException($"This CLIP ({clip.GetType().Name}) cannot take hooks; only CLIP text encoders of the SD family can.");
        }
        return ValueTask.FromResult(NodeOutput.Of(model.WithHookSettings(new ClipHookSettings(hooks, inputs.Get(ApplyToConds), inputs.Get(ScheduleClip)))));
    }
}
