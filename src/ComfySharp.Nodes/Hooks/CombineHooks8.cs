using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Hooks;

namespace ComfySharp.Nodes.Hooks;

/// <summary>The union of up to 8 hook groups (no output hooks when none is connected).</summary>
public sealed class CombineHooks8 : ComfyNode
{
    /// <summary>Hooks A.</summary>
    public static readonly SocketInput<HookGroup> HooksA = HookSchema.Hooks("hooks_A");
    /// <summary>Hooks B.</summary>
    public static readonly SocketInput<HookGroup> HooksB = HookSchema.Hooks("hooks_B");
    /// <summary>Hooks C.</summary>
    public static readonly SocketInput<HookGroup> HooksC = HookSchema.Hooks("hooks_C");
    /// <summary>Hooks D.</summary>
    public static readonly SocketInput<HookGroup> HooksD = HookSchema.Hooks("hooks_D");
    /// <summary>Hooks E.</summary>
    public static readonly SocketInput<HookGroup> HooksE = HookSchema.Hooks("hooks_E");
    /// <summary>Hooks F.</summary>
    public static readonly SocketInput<HookGroup> HooksF = HookSchema.Hooks("hooks_F");
    /// <summary>Hooks G.</summary>
    public static readonly SocketInput<HookGroup> HooksG = HookSchema.Hooks("hooks_G");
    /// <summary>Hooks H.</summary>
    public static readonly SocketInput<HookGroup> HooksH = HookSchema.Hooks("hooks_H");

    private static readonly NodeSchema Definition = HookSchema.Create("CombineHooks8", "Combine Hooks [8]", HookSchema.CombineCategory,
        [], [HooksA, HooksB, HooksC, HooksD, HooksE, HooksF, HooksG, HooksH], HookSchema.HooksOutput);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(HookGroup.CombineAll([inputs.GetOrDefault(HooksA, null!), inputs.GetOrDefault(HooksB, null!), inputs.GetOrDefault(HooksC, null!), inputs.GetOrDefault(HooksD, null!), inputs.GetOrDefault(HooksE, null!), inputs.GetOrDefault(HooksF, null!), inputs.GetOrDefault(HooksG, null!), inputs.GetOrDefault(HooksH, null!)])));
    }
}
