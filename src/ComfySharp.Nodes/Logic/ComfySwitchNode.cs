using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Logic;

/// <summary>
/// Passes on one of two lazy inputs: <c>on_true</c> when <c>switch</c> is true, else <c>on_false</c>. Only the
/// chosen branch is evaluated; the nodes that feed only the other branch never run.
/// </summary>
public sealed class ComfySwitchNode : ComfyNode
{
    /// <summary>Which branch to take.</summary>
    public static readonly BooleanInput Switch = new("switch");

    /// <summary>The value when <c>switch</c> is false (evaluated only then).</summary>
    public static readonly AnyInput OnFalse = Branch("on_false");

    /// <summary>The value when <c>switch</c> is true (evaluated only then).</summary>
    public static readonly AnyInput OnTrue = Branch("on_true");

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ComfySwitchNode",
        DisplayName = "Switch",
        Category = "logic",
        PythonModule = "comfy_extras.nodes_logic",
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = [Switch, OnFalse, OnTrue],
        Outputs = [new OutputSpec("COMFY_MATCHTYPE_V3", "output") { MatchType = "switch" }],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasLazyStatusCheck => true;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<string>> CheckLazyStatusAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        AnyInput chosen = inputs.Get(Switch) ? OnTrue : OnFalse;
        return ValueTask.FromResult<IReadOnlyList<string>>(inputs.HasValue(chosen) ? [] : [chosen.Name]);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        AnyInput chosen = inputs.Get(Switch) ? OnTrue : OnFalse;
        return ValueTask.FromResult(NodeOutput.Of(inputs.GetOrDefault(chosen, null)));
    }

    private static AnyInput Branch(string name) => new(name, "COMFY_MATCHTYPE_V3")
    {
        Lazy = true,
        ExtraOptions = new JsonObject { ["template"] = new JsonObject { ["allowed_types"] = "*", ["template_id"] = "switch" } },
    };
}
