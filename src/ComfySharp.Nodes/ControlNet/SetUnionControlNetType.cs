using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>Chooses the control type of a union ControlNet; other ControlNets pass through unchanged in effect.</summary>
public sealed class SetUnionControlNetType : ComfyNode
{
    /// <summary>The reference's union types in order (index = type number), after <c>auto</c>.</summary>
    public static readonly IReadOnlyList<string> Types =
        ["auto", "openpose", "depth", "hed/pidi/scribble/ted", "canny/lineart/anime_lineart/mlsd", "normal", "segment", "tile", "repaint"];

    /// <summary>The ControlNet.</summary>
    public static readonly SocketInput<ControlNetValue> ControlNet = new("control_net", "CONTROL_NET");
    /// <summary>The control type.</summary>
    public static readonly ComboInput Type = new("type", Types);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SetUnionControlNetType",
        Category = "conditioning/controlnet",
        PythonModule = "comfy_extras.nodes_controlnet",
        Flavor = NodeFlavor.Schema,
        Required = [ControlNet, Type],
        Outputs = [new OutputSpec("CONTROL_NET")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ControlNetValue controlNet = inputs.Get(ControlNet);
        int number = Types.ToList().IndexOf(inputs.Get(Type)) - 1;
        return ValueTask.FromResult(NodeOutput.Of(controlNet with { ControlType = number >= 0 ? [number] : [] }));
    }
}
