using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>The number of code points of a string.</summary>
public sealed class StringLength : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");

    private static readonly NodeSchema Definition = StringSupport.Schema("StringLength", "Length", [Text], new OutputSpec(IOTypes.INT, "length"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of((long)StringSupport.CodePoints(inputs.Get(Text)).Length));
    }
}
