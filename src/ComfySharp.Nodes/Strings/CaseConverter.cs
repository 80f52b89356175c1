using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Converts a string to upper, lower, capitalised or title case.</summary>
public sealed class CaseConverter : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>The conversion.</summary>
    public static readonly ComboInput Mode = new("mode", ["UPPERCASE", "lowercase", "Capitalize", "Title Case"]);

    private static readonly NodeSchema Definition = StringSupport.Schema("CaseConverter", "Case Converter", [Text, Mode], new OutputSpec(IOTypes.STRING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string text = inputs.Get(Text);
        string result = inputs.Get(Mode) switch
        {
            "UPPERCASE" => text.ToUpperInvariant(),
            "lowercase" => text.ToLowerInvariant(),
            "Capitalize" => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant(),
            "Title Case" => TitleCase(text),
            _ => text,
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }

    /// <summary>Python str.title(): a letter after a letter is lowered, any other letter is raised.</summary>
    public static string TitleCase(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.ToCharArray();
        bool previousCased = false;
        for (int i = 0; i < chars.Length; i++)
        {
            bool cased = char.IsLetter(chars[i]);
            chars[i] = cased ? (previousCased ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i])) : chars[i];
            previousCased = cased;
        }
        return new string(chars);
    }
}
