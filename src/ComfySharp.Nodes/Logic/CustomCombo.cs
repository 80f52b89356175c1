using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Logic;

/// <summary>
/// A combo whose options the user types into the frontend; the server keeps no option list, so any
/// choice is accepted and passed on as a string.
/// </summary>
public sealed class CustomCombo : ComfyNode
{
    /// <summary>The chosen option.</summary>
    public static readonly ComboInput Choice = new("choice", []);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CustomCombo",
        DisplayName = "Custom Combo",
        Category = "utils",
        PythonModule = "comfy_extras.nodes_logic",
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = [Choice],
        Outputs = [new OutputSpec(IOTypes.STRING)],
        // The options live only in the frontend: the node's own check replaces the "value not in list" check.
        Validation = new ValidationSignature(["choice"]),
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Choice)));
    }
}
