using System.Text.RegularExpressions;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Replaces matches of a regular expression (Python pattern and template syntax); count 0 replaces all.</summary>
public sealed class RegexReplace : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>The pattern (Python syntax).</summary>
    public static readonly StringInput Pattern = StringSupport.Text("regex_pattern");
    /// <summary>The replacement template (\1, \g&lt;name&gt;).</summary>
    public static readonly StringInput Replacement = StringSupport.Text("replace");
    /// <summary>IGNORECASE.</summary>
    public static readonly BooleanInput CaseInsensitive = StringSupport.Flag("case_insensitive", true);
    /// <summary>MULTILINE.</summary>
    public static readonly BooleanInput Multiline = StringSupport.Flag("multiline", false);
    /// <summary>DOTALL.</summary>
    public static readonly BooleanInput DotAll = new("dotall") { Default = false, Tooltip = "Lets the dot match newlines too." };
    /// <summary>Most replacements (0 = all).</summary>
    public static readonly IntInput Count = new("count") { Default = 0, Min = 0, Max = 100, Tooltip = "How many matches to replace, from the first; 0 replaces every match." };

    private static readonly NodeSchema Definition = StringSupport.Schema("RegexReplace", "Regex Replace", [Text, Pattern, Replacement], new OutputSpec(IOTypes.STRING), [CaseInsensitive, Multiline, DotAll, Count])
        with { Description = "Replaces the matches of a regular expression." };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var options = StringSupport.Options(inputs.GetOrDefault(CaseInsensitive, true), inputs.GetOrDefault(Multiline, false), inputs.GetOrDefault(DotAll, false));
        Regex regex = StringSupport.TryCreate(inputs.Get(Pattern), options, out var names)
            ?? throw new NodeException("error", $"RegexReplace: '{inputs.Get(Pattern)}' is not a valid regular expression.");
        string template = StringSupport.ToDotNetReplacement(inputs.Get(Replacement), names);
        long count = inputs.GetOrDefault(Count, 0L);
        string result = StringSupport.Guard("RegexReplace", () => regex.Replace(inputs.Get(Text), template, count == 0 ? -1 : (int)count));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
