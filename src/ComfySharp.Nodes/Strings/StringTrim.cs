using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Strings;

/// <summary>Removes whitespace from one or both ends of a string.</summary>
public sealed class StringTrim : ComfyNode
{
    /// <summary>The string.</summary>
    public static readonly StringInput Text = StringSupport.Text("string");
    /// <summary>Which ends.</summary>
    public static readonly ComboInput Mode = new("mode", ["Both", "Left", "Right"]);

    private static readonly NodeSchema Definition = StringSupport.Schema("StringTrim", "Trim", [Text, Mode], new OutputSpec(IOTypes.STRING));

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string text = inputs.Get(Text);
        string result = inputs.Get(Mode) switch
        {
            "Both" => text.Trim(),
            "Left" => text.TrimStart(),
            "Right" => text.TrimEnd(),
            _ => text,
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
