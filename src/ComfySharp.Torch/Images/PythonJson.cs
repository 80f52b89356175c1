using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.Torch.Images;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dumps</c> does by default (the reference writes PNG
/// metadata that way): <c>", "</c> and <c>": "</c> separators, every character outside printable
/// ASCII as a lower-case <c>\uXXXX</c> escape, integers as written, floats in Python's <c>repr</c>
/// form (<c>1.0</c>, <c>1e-05</c>, <c>1e+16</c>).
/// </summary>
public static class PythonJson
{
    /// <summary>Serialises a JSON node.</summary>
    public static string Serialize(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    /// <summary>Python's <c>repr</c> of a float.</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        string shortest = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest.StartsWith('-');
        if (negative)
        {
            shortest = shortest[1..];
        }
        int exponent = 0;
        int e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            shortest = shortest[..e];
        }
        int dot = shortest.IndexOf('.', StringComparison.Ordinal);
        string integerPart = dot >= 0 ? shortest[..dot] : shortest;
        string digits = integerPart + (dot >= 0 ? shortest[(dot + 1)..] : "");
        int pointPosition = integerPart.Length + exponent;
        int leading = 0;
        while (leading < digits.Length && digits[leading] == '0')
        {
            leading++;
        }
        digits = digits[leading..].TrimEnd('0');
        pointPosition -= leading;
        string sign = negative ? "-" : "";
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }
        if (pointPosition is > -4 and <= 16)
        {
            if (pointPosition <= 0)
            {
                return sign + "0." + new string('0', -pointPosition) + digits;
            }
            if (pointPosition >= digits.Length)
            {
                return sign + digits + new string('0', pointPosition - digits.Length) + ".0";
            }
            return sign + digits[..pointPosition] + "." + digits[pointPosition..];
        }
        int scientificExponent = pointPosition - 1;
        string mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
        string exponentText = Math.Abs(scientificExponent).ToString("00", CultureInfo.InvariantCulture);
        return sign + mantissa + "e" + (scientificExponent < 0 ? "-" : "+") + exponentText;
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                builder.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }
                    first = false;
                    WriteString(builder, key);
                    builder.Append(": ");
                    Write(builder, value);
                }
                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(", ");
                    }
                    Write(builder, array[i]);
                }
                builder.Append(']');
                break;
            case JsonValue value:
                WriteValue(builder, value);
                break;
            default:
                builder.Append(node.ToJsonString());
                break;
        }
    }

    private static void WriteValue(StringBuilder builder, JsonValue value)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(builder, element);
            return;
        }
        if (value.TryGetValue(out string? text))
        {
            WriteString(builder, text);
        }
        else if (value.TryGetValue(out bool flag))
        {
            builder.Append(flag ? "true" : "false");
        }
        else if (value.TryGetValue(out double real))
        {
            builder.Append(FormatFloat(real));
        }
        else if (value.TryGetValue(out float single))
        {
            builder.Append(FormatFloat(single));
        }
        else if (value.TryGetValue(out decimal money))
        {
            builder.Append(FormatFloat((double)money));
        }
        else
        {
            // Integers of every width: their JSON text is their Python text.
            builder.Append(value.ToJsonString());
        }
    }

    private static void WriteElement(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                WriteString(builder, element.GetString()!);
                break;
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
                {
                    builder.Append(FormatFloat(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture)));
                }
                else
                {
                    builder.Append(raw);
                }
                break;
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                Write(builder, JsonNode.Parse(element.GetRawText()));
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    private static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (ch is < ' ' or > '~')
                    {
                        builder.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(ch);
                    }
                    break;
            }
        }
        builder.Append('"');
    }
}
