using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Whether a string contains a substring.</summary>
public sealed class StringContains : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>What to look for.</summary>
    public static readonly StringInput Substring = StringSupport.Text("substring");
    /// <summary>Case matters.</summary>
    public static readonly BooleanInput CaseSensitive = StringSupport.Flag("case_sensitive", true);

    private static readonly NodeSchema Definition = StringSupport.Schema("StringContains", "Contains", [Text, Substring, CaseSensitive], new OutputSpec(IOTypes.BOOLEAN, "contains"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        bool sensitive = inputs.Get(CaseSensitive);
        string text = inputs.Get(Text), part = inputs.Get(Substring);
        bool contains = sensitive ? text.Contains(part, StringComparison.Ordinal) : text.ToLowerInvariant().Contains(part.ToLowerInvariant(), StringComparison.Ordinal);
        return ValueTask.FromResult(NodeOutput.Of(contains));
    }
}
