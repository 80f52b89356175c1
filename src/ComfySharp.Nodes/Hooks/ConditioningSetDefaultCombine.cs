using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Hooks;

/// <summary>Appends default entries to a conditioning: during sampling they cover what the other entries leave uncovered.</summary>
public sealed class ConditioningSetDefaultCombine : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Cond = HookSchema.Conditioning("cond");
    /// <summary>The default.</summary>
    public static readonly SocketInput<ConditioningValue> CondDefault = HookSchema.Conditioning("cond_DEFAULT");
    /// <summary>Hooks for the default.</summary>
    public static readonly SocketInput<HookGroup> Hooks = HookSchema.Hooks("hooks");
    private static readonly NodeSchema Definition = HookSchema.Create("ConditioningSetDefaultCombine", "Cond Set Default Combine", HookSchema.CondSingleCategory,
        [Cond, CondDefault], [Hooks], new OutputSpec(IOTypes.CONDITIONING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue[] result = HookConditioning.SetDefaultAndCombine([inputs.Get(Cond)], [inputs.Get(CondDefault)], inputs.GetOrDefault(Hooks, null!));
        return ValueTask.FromResult(NodeOutput.Of(result[0]));
    }
}
