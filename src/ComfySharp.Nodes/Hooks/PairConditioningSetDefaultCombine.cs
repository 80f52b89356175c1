using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Appends default entries to a positive and a negative conditioning: during sampling they cover what the other entries leave uncovered.</summary>
public sealed class PairConditioningSetDefaultCombine : ComfyNode
{
    /// <summary>The positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = HookSchema.Conditioning("positive");
    /// <summary>The negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = HookSchema.Conditioning("negative");
    /// <summary>The positive default.</summary>
    public static readonly SocketInput<ConditioningValue> PositiveDefault = HookSchema.Conditioning("positive_DEFAULT");
    /// <summary>The negative default.</summary>
    public static readonly SocketInput<ConditioningValue> NegativeDefault = HookSchema.Conditioning("negative_DEFAULT");
    /// <summary>Hooks for the defaults.</summary>
    public static readonly SocketInput<HookGroup> Hooks = HookSchema.Hooks("hooks");
    private static readonly NodeSchema Definition = HookSchema.Create("PairConditioningSetDefaultCombine", "Cond Pair Set Default Combine", HookSchema.CondPairCategory,
        [Positive, Negative, PositiveDefault, NegativeDefault], [Hooks], new OutputSpec(IOTypes.CONDITIONING, "positive"), new OutputSpec(IOTypes.CONDITIONING, "negative"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetDefaultAndCombine([inputs.Get(Positive), inputs.Get(Negative)],
            [inputs.Get(PositiveDefault), inputs.Get(NegativeDefault)], inputs.GetOrDefault(Hooks, null!));
        return ValueTask.FromResult(NodeOutput.Of(result[0], result[1]));
    }
}
