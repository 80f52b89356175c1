using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Compares two strings: starts with, ends with or equal.</summary>
public sealed class StringCompare : ComfyNode
{
    /// <summary>First string.</summary>
    public static readonly StringInput StringA = StringSupport.Text("string_a");
    /// <summary>Second string.</summary>
    public static readonly StringInput StringB = StringSupport.Text("string_b");
    /// <summary>The comparison.</summary>
    public static readonly ComboInput Mode = new("mode", ["Starts With", "Ends With", "Equal"]);
    /// <summary>Case matters.</summary>
    public static readonly BooleanInput CaseSensitive = StringSupport.Flag("case_sensitive", true);

    private static readonly NodeSchema Definition = StringSupport.Schema("StringCompare", "Compare", [StringA, StringB, Mode, CaseSensitive], new OutputSpec(IOTypes.BOOLEAN));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        bool sensitive = inputs.Get(CaseSensitive);
        string a = sensitive ? inputs.Get(StringA) : inputs.Get(StringA).ToLowerInvariant();
        string b = sensitive ? inputs.Get(StringB) : inputs.Get(StringB).ToLowerInvariant();
        bool result = inputs.Get(Mode) switch
        {
            "Starts With" => a.StartsWith(b, StringComparison.Ordinal),
            "Ends With" => a.EndsWith(b, StringComparison.Ordinal),
            _ => string.Equals(a, b, StringComparison.Ordinal),
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
