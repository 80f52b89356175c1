using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Joins two strings with a delimiter between them.</summary>
public sealed class StringConcatenate : ComfyNode
{
    /// <summary>First string.</summary>
    public static readonly StringInput StringA = StringSupport.Text("string_a");
    /// <summary>Second string.</summary>
    public static readonly StringInput StringB = StringSupport.Text("string_b");
    /// <summary>Put between them.</summary>
    public static readonly StringInput Delimiter = new("delimiter") { Default = "", ExplicitSingleLine = true };

    private static readonly NodeSchema Definition = StringSupport.Schema("StringConcatenate", "Concatenate", [StringA, StringB, Delimiter], new OutputSpec(IOTypes.STRING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(StringA) + inputs.Get(Delimiter) + inputs.Get(StringB)));
    }
}
