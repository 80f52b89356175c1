using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>The union of up to 4 hook groups (no output hooks when none is connected).</summary>
public sealed class CombineHooks4 : ComfyNode
{
    /// <summary>Hooks A.</summary>
    public static readonly SocketInput<HookGroup> HooksA = HookSchema.Hooks("hooks_A");
    /// <summary>Hooks B.</summary>
    public static readonly SocketInput<HookGroup> HooksB = HookSchema.Hooks("hooks_B");
    /// <summary>Hooks C.</summary>
    public static readonly SocketInput<HookGroup> HooksC = HookSchema.Hooks("hooks_C");
    /// <summary>Hooks D.</summary>
    public static readonly SocketInput<HookGroup> HooksD = HookSchema.Hooks("hooks_D");

    private static readonly NodeSchema Definition = HookSchema.Create("CombineHooks4", "Combine Hooks [4]", HookSchema.CombineCategory,
        [], [HooksA, HooksB, HooksC, HooksD], HookSchema.HooksOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(HookGroup.CombineAll([inputs.GetOrDefault(HooksA, null!), inputs.GetOrDefault(HooksB, null!), inputs.GetOrDefault(HooksC, null!), inputs.GetOrDefault(HooksD, null!)])));
    }
}
