using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Adds one keyframe per given strength, their starts evenly spread from start_percent to end_percent.</summary>
public sealed class CreateHookKeyframesFromFloats : ComfyNode
{
    /// <summary>The strengths (a FLOATS list or one number).</summary>
    public static readonly SocketInput<object> FloatsStrength = new("floats_strength", HookSchema.FLOATS)
    {
        ForceInput = true,
        ExtraOptions = new JsonObject { ["default"] = -1, ["min"] = -1, ["step"] = 0.001 },
    };
    /// <summary>First keyframe's start.</summary>
    public static readonly FloatInput StartPercent = HookSchema.Percent("start_percent", 0.0);
    /// <summary>Last keyframe's start.</summary>
    public static readonly FloatInput EndPercent = HookSchema.Percent("end_percent", 1.0);
    /// <summary>Report the keyframes as text.</summary>
    public static readonly BooleanInput PrintKeyframes = new("print_keyframes") { Default = false };
    /// <summary>Keyframes to add them to.</summary>
    public static readonly SocketInput<HookKeyframeGroup> PrevHookKf = HookSchema.Keyframes("prev_hook_kf");

    private static readonly NodeSchema Definition = HookSchema.Create("CreateHookKeyframesFromFloats", "Create Hook Keyframes From Floats", HookSchema.SchedulingCategory,
        [FloatsStrength, StartPercent, EndPercent, PrintKeyframes], [PrevHookKf], HookSchema.KeyframesOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double[] strengths = Strengths(inputs.Get(FloatsStrength));
        if (strengths.Length == 0)
        {
            throw new InvalidOperationException("floats_strength is empty: at least one strength is needed.");
        }
        double[] percents = HookInterpolation.Weights(inputs.Get(StartPercent), inputs.Get(EndPercent), strengths.Length, "linear");
        HookKeyframeGroup result = CreateHookKeyframesInterpolated.AddAll(inputs.GetOrDefault(PrevHookKf, HookKeyframeGroup.Empty), percents, strengths,
            inputs.Get(PrintKeyframes) ? context : null);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }

    /// <summary>One number becomes a list of one; a list of numbers is taken as is.</summary>
    internal static double[] Strengths(object? value) => value switch
    {
        double or float or long or int => [Convert.ToDouble(value, CultureInfo.InvariantCulture)],
        TorchSharp.torch.Tensor t => [.. t.to_type(TorchSharp.torch.ScalarType.Float64).data<double>()],
        IEnumerable list and not string => [.. list.Cast<object?>().Select(v => v is double or float or long or int
            ? Convert.ToDouble(v, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"floats_strength holds a {v?.GetType().Name ?? "null"}, not a number."))],
        _ => throw new InvalidOperationException($"floats_strength must be a list of numbers or a number, but was {value?.GetType().Name ?? "null"}."),
    };
}
