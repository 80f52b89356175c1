using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Joins two positive/negative pairs entry list by entry list.</summary>
public sealed class PairConditioningCombine : ComfyNode
{
    /// <summary>First positive.</summary>
    public static readonly SocketInput<ConditioningValue> PositiveA = HookSchema.Conditioning("positive_A");
    /// <summary>First negative.</summary>
    public static readonly SocketInput<ConditioningValue> NegativeA = HookSchema.Conditioning("negative_A");
    /// <summary>Second positive.</summary>
    public static readonly SocketInput<ConditioningValue> PositiveB = HookSchema.Conditioning("positive_B");
    /// <summary>Second negative.</summary>
    public static readonly SocketInput<ConditioningValue> NegativeB = HookSchema.Conditioning("negative_B");
    private static readonly NodeSchema Definition = HookSchema.Create("PairConditioningCombine", "Cond Pair Combine", HookSchema.CondPairCategory,
        [PositiveA, NegativeA, PositiveB, NegativeB], [], new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(
            HookConditioning.Concat(inputs.Get(PositiveA), inputs.Get(PositiveB)),
            HookConditioning.Concat(inputs.Get(NegativeA), inputs.Get(NegativeB))));
    }
}
