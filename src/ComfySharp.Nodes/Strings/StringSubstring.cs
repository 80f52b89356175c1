using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Python slicing string[start:end] over code points.</summary>
public sealed class StringSubstring : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>First code point (negative counts from the end).</summary>
    public static readonly IntInput Start = new("start");
    /// <summary>End, exclusive (negative counts from the end).</summary>
    public static readonly IntInput End = new("end");

    private static readonly NodeSchema Definition = StringSupport.Schema("StringSubstring", "Substring", [Text, Start, End], new OutputSpec(IOTypes.STRING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(StringSupport.Slice(inputs.Get(Text), inputs.Get(Start), inputs.Get(End))));
    }
}
