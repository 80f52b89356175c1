using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Sets hooks, a mask and a schedule range on a new conditioning and appends its entries to another.</summary>
public sealed class ConditioningSetPropertiesAndCombine : ComfyNode
{
    /// <summary>The conditioning kept as is.</summary>
    public static readonly SocketInput<ConditioningValue> Cond = HookSchema.Conditioning("cond");
    /// <summary>The conditioning that gets the properties.</summary>
    public static readonly SocketInput<ConditioningValue> CondNew = HookSchema.Conditioning("cond_NEW");
    private static readonly NodeSchema Definition = HookSchema.Create("ConditioningSetPropertiesAndCombine", "Cond Set Props Combine", HookSchema.CondSingleCategory,
        [Cond, CondNew, CondProps.Strength, CondProps.SetCondArea], [.. CondProps.Optional], new OutputSpec(IOTypes.CONDITIONING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetPropertiesAndCombine([inputs.Get(Cond)], [inputs.Get(CondNew)], CondProps.Read(inputs));
        return ValueTask.FromResult(NodeOutput.Of(result[0]));
    }
}
