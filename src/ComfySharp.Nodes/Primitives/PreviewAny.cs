using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Primitives;

/// <summary>Shows any value as text on the node (strings as they are, numbers and booleans as Python prints them).</summary>
public sealed class PreviewAny : ComfyNode
{
    /// <summary>The value.</summary>
    public static readonly AnyInput Source = new("source");

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PreviewAny",
        DisplayName = "Preview as Text",
        Category = "utils",
        PythonModule = "comfy_extras.nodes_preview_any",
        OutputNode = true,
        Required = [Source],
        Outputs = [],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        object? value = inputs.GetOrDefault(Source, null);
        return ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["text"] = new JsonArray(Text(value)) }));
    }

    /// <summary>The text shown for <paramref name="value"/>.</summary>
    public static string Text(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        double d => PythonFloat(d),
        float f => PythonFloat(f),
        IFormattable n when value is long or int or ulong or System.Numerics.BigInteger => n.ToString(null, CultureInfo.InvariantCulture),
        JsonNode node => node.ToJsonString(),
        Tensor t => $"tensor of shape [{string.Join(", ", t.shape)}], {t.dtype}",
        _ => value.ToString() ?? "source exists, but could not be serialized.",
    };

    private static string PythonFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text.Replace("E", "e", StringComparison.Ordinal) : text + ".0";
    }
}
