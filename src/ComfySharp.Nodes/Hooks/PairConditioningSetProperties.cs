using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Sets hooks, a mask and a schedule range on a positive and a negative conditioning (one shared hook group).</summary>
public sealed class PairConditioningSetProperties : ComfyNode
{
    /// <summary>The positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> PositiveNew = HookSchema.Conditioning("positive_NEW");
    /// <summary>The negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> NegativeNew = HookSchema.Conditioning("negative_NEW");
    private static readonly NodeSchema Definition = HookSchema.Create("PairConditioningSetProperties", "Cond Pair Set Props", HookSchema.CondPairCategory,
        [PositiveNew, NegativeNew, CondProps.Strength, CondProps.SetCondArea], [.. CondProps.Optional], new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetProperties([inputs.Get(PositiveNew), inputs.Get(NegativeNew)], CondProps.Read(inputs));
        return ValueTask.FromResult(NodeOutput.Of(result[0], result[1]));
    }
}
