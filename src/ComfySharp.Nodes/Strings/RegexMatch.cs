using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Whether a regular expression matches anywhere in a string (an invalid pattern does not match).</summary>
public sealed class RegexMatch : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>The pattern (Python syntax).</summary>
    public static readonly StringInput Pattern = StringSupport.Text("regex_pattern");
    /// <summary>IGNORECASE.</summary>
    public static readonly BooleanInput CaseInsensitive = StringSupport.Flag("case_insensitive", true);
    /// <summary>MULTILINE.</summary>
    public static readonly BooleanInput Multiline = StringSupport.Flag("multiline", false);
    /// <summary>DOTALL.</summary>
    public static readonly BooleanInput DotAll = StringSupport.Flag("dotall", false);

    private static readonly NodeSchema Definition = StringSupport.Schema("RegexMatch", "Regex Match", [Text, Pattern, CaseInsensitive, Multiline, DotAll], new OutputSpec(IOTypes.BOOLEAN, "matches"));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var regex = StringSupport.TryCreate(inputs.Get(Pattern), StringSupport.Options(inputs.Get(CaseInsensitive), inputs.Get(Multiline), inputs.Get(DotAll)));
        bool matches = regex is not null && StringSupport.Guard("RegexMatch", () => regex.IsMatch(inputs.Get(Text)));
        return ValueTask.FromResult(NodeOutput.Of(matches));
    }
}
