using System.Globalization;
using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>
/// Adds keyframes_count keyframes evenly spread from start_percent to end_percent, their strengths interpolated from
/// strength_start to strength_end; only the first guarantees a step.
/// </summary>
public sealed class CreateHookKeyframesInterpolated : ComfyNode
{
    /// <summary>First strength.</summary>
    public static readonly FloatInput StrengthStart = new("strength_start") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.001 };
    /// <summary>Last strength.</summary>
    public static readonly FloatInput StrengthEnd = new("strength_end") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.001 };
    /// <summary>How strengths move between them.</summary>
    public static readonly ComboInput Interpolation = new("interpolation", HookInterpolation.Methods) { OneElementSpec = true };
    /// <summary>First keyframe's start.</summary>
    public static readonly FloatInput StartPercent = HookSchema.Percent("start_percent", 0.0);
    /// <summary>Last keyframe's start.</summary>
    public static readonly FloatInput EndPercent = HookSchema.Percent("end_percent", 1.0);
    /// <summary>How many keyframes.</summary>
    public static readonly IntInput KeyframesCount = new("keyframes_count") { Default = 5, Min = 2, Max = 100, Step = 1 };
    /// <summary>Report the keyframes as text.</summary>
    public static readonly BooleanInput PrintKeyframes = new("print_keyframes") { Default = false };
    /// <summary>Keyframes to add them to.</summary>
    public static readonly SocketInput<HookKeyframeGroup> PrevHookKf = HookSchema.Keyframes("prev_hook_kf");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookKeyframesInterpolated", "Create Hook Keyframes Interp.", HookSchema.SchedulingCategory,
        [StrengthStart, StrengthEnd, Interpolation, StartPercent, EndPercent, KeyframesCount, PrintKeyframes], [PrevHookKf], HookSchema.KeyframesOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        int count = checked((int)inputs.Get(KeyframesCount));
        double[] percents = HookInterpolation.Weights(inputs.Get(StartPercent), inputs.Get(EndPercent), count, "linear");
        double[] strengths = HookInterpolation.Weights(inputs.Get(StrengthStart), inputs.Get(StrengthEnd), count, inputs.Get(Interpolation));
        HookKeyframeGroup result = AddAll(inputs.GetOrDefault(PrevHookKf, HookKeyframeGroup.Empty), percents, strengths, inputs.Get(PrintKeyframes) ? context : null);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }

    /// <summary>Adds a keyframe per (percent, strength) pair; the first guarantees one step, the others none.</summary>
    internal static HookKeyframeGroup AddAll(HookKeyframeGroup group, IReadOnlyList<double> percents, IReadOnlyList<double> strengths, NodeContext? print)
    {
        for (int i = 0; i < Math.Min(percents.Count, strengths.Count); i++)
        {
            group = group.Add(new HookKeyframe(strengths[i], percents[i], i == 0 ? 1 : 0));
            print?.SendText(string.Create(CultureInfo.InvariantCulture, $"Hook Keyframe - start_percent:{percents[i]} = {strengths[i]}"));
        }
        return group;
    }
}
