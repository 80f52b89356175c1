using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Sets hooks, a mask and a schedule range on new positive and negative conditionings and appends them to the given pair.</summary>
public sealed class PairConditioningSetPropertiesAndCombine : ComfyNode
{
    /// <summary>The positive conditioning kept as is.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = HookSchema.Conditioning("positive");
    /// <summary>The negative conditioning kept as is.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = HookSchema.Conditioning("negative");
    /// <summary>The new positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> PositiveNew = HookSchema.Conditioning("positive_NEW");
    /// <summary>The new negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> NegativeNew = HookSchema.Conditioning("negative_NEW");
    private static readonly NodeSchema Definition = HookSchema.Create("PairConditioningSetPropertiesAndCombine", "Cond Pair Set Props Combine", HookSchema.CondPairCategory,
        [Positive, Negative, PositiveNew, NegativeNew, CondProps.Strength, CondProps.SetCondArea], [.. CondProps.Optional], new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetPropertiesAndCombine([inputs.Get(Positive), inputs.Get(Negative)],
            [inputs.Get(PositiveNew), inputs.Get(NegativeNew)], CondProps.Read(inputs));
        return ValueTask.FromResult(NodeOutput.Of(result[0], result[1]));
    }
}
