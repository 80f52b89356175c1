using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Replaces every occurrence of a substring.</summary>
public sealed class StringReplace : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>What to find.</summary>
    public static readonly StringInput Find = StringSupport.Text("find");
    /// <summary>What to put instead.</summary>
    public static readonly StringInput Replacement = StringSupport.Text("replace");

    private static readonly NodeSchema Definition = StringSupport.Schema("StringReplace", "Replace", [Text, Find, Replacement], new OutputSpec(IOTypes.STRING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string text = inputs.Get(Text), find = inputs.Get(Find), replacement = inputs.Get(Replacement);
        // Python inserts the replacement between every character when the search string is empty.
        string result = find.Length == 0
            ? replacement + string.Join(replacement, text.EnumerateRunes().Select(r => r.ToString())) + (text.Length == 0 ? "" : replacement)
            : text.Replace(find, replacement, StringComparison.Ordinal);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
