using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Hooks;

/// <summary>A schedule range, and the ranges before and after it.</summary>
public sealed class ConditioningTimestepsRange : ComfyNode
{
    /// <summary>Range start.</summary>
    public static readonly FloatInput StartPercent = HookSchema.Percent("start_percent", 0.0);
    /// <summary>Range end.</summary>
    public static readonly FloatInput EndPercent = HookSchema.Percent("end_percent", 1.0);

    private static readonly NodeSchema Definition = HookSchema.Create("ConditioningTimestepsRange", "Timesteps Range", "advanced/hooks",
        [StartPercent, EndPercent], [],
        new OutputSpec(HookSchema.TIMESTEPS_RANGE), new OutputSpec(HookSchema.TIMESTEPS_RANGE, "BEFORE_RANGE"), new OutputSpec(HookSchema.TIMESTEPS_RANGE, "AFTER_RANGE"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double start = inputs.Get(StartPercent), end = inputs.Get(EndPercent);
        return ValueTask.FromResult(NodeOutput.Of(new TimestepsRange(start, end), new TimestepsRange(0.0, start), new TimestepsRange(end, 1.0)));
    }
}
