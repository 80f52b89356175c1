using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>The union of up to 2 hook groups (no output hooks when none is connected).</summary>
public sealed class CombineHooks2 : ComfyNode
{
    /// <summary>Hooks A.</summary>
    public static readonly SocketInput<HookGroup> HooksA = HookSchema.Hooks("hooks_A");
    /// <summary>Hooks B.</summary>
    public static readonly SocketInput<HookGroup> HooksB = HookSchema.Hooks("hooks_B");

    private static readonly NodeSchema Definition = HookSchema.Create("CombineHooks2", "Combine Hooks [2]", HookSchema.CombineCategory,
        [], [HooksA, HooksB], HookSchema.HooksOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(HookGroup.CombineAll([inputs.GetOrDefault(HooksA, null!), inputs.GetOrDefault(HooksB, null!)])));
    }
}
