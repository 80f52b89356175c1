using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Sets hooks, a mask (with strength as its weight) and a schedule range on every entry of a conditioning.</summary>
public sealed class ConditioningSetProperties : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> CondNew = HookSchema.Conditioning("cond_NEW");
    private static readonly NodeSchema Definition = HookSchema.Create("ConditioningSetProperties", "Cond Set Props", HookSchema.CondSingleCategory,
        [CondNew, CondProps.Strength, CondProps.SetCondArea], [.. CondProps.Optional], new OutputSpec(IOTypes.CONDITIONING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetProperties([inputs.Get(CondNew)], CondProps.Read(inputs));
        return ValueTask.FromResult(NodeOutput.Of(result[0]));
    }
}
