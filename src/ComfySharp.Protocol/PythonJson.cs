using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.Protocol;

/// <summary>
/// Writes JSON the way the reference's Python writer does (API.md §0.3): <c>", "</c> and <c>": "</c>
/// separators, non-ASCII escaped as <c>\uXXXX</c>, key order kept, floats always with a fraction
/// or exponent (<c>3.0</c>) and integers without one.
/// </summary>
public static class PythonJson
{
    /// <summary>Options for parsing request bodies: key order is preserved by <see cref="JsonNode"/>; duplicate keys keep the last value like Python.</summary>
    public static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>
    /// Nesting depth stored text is read back with: well above what requests may carry (the server
    /// refuses bodies deeper than 128), so entries written by older versions, which let 512 levels
    /// in and wrapped them a few levels deeper, still read.
    /// </summary>
    public const int MaxStoredDepth = 1024;

    /// <summary>Parses JSON text (throws <see cref="JsonException"/> on invalid input).</summary>
    public static JsonNode? Parse(string text) => JsonNode.Parse(text, NodeOptions, new JsonDocumentOptions { MaxDepth = MaxStoredDepth });

    /// <summary>Parses UTF-8 JSON bytes (throws <see cref="JsonException"/> on invalid input).</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8) => JsonNode.Parse(utf8, NodeOptions, new JsonDocumentOptions { MaxDepth = MaxStoredDepth });

    /// <summary>
    /// Parses stored JSON written by this or an older version. Older versions could store the bare
    /// tokens <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> (Python's writer does too), which JSON readers
    /// refuse; they read back as <c>null</c>. Returns null when the text still cannot be read.
    /// </summary>
    public static JsonNode? ParseStored(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Parse(utf8);
        }
        catch (JsonException)
        {
        }
        try
        {
            return Parse(ReplaceNonFiniteTokens(utf8));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Rewrites NaN, Infinity and -Infinity outside strings as null (one pass, no recursion).
    private static byte[] ReplaceNonFiniteTokens(ReadOnlySpan<byte> utf8)
    {
        var output = new List<byte>(utf8.Length);
        bool inString = false;
        for (int i = 0; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            if (inString)
            {
                output.Add(b);
                if (b == (byte)'\\' && i + 1 < utf8.Length)
                {
                    output.Add(utf8[++i]);
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
                continue;
            }
            if (b == (byte)'"')
            {
                inString = true;
                output.Add(b);
                continue;
            }
            int length = utf8[i..].StartsWith("-Infinity"u8) ? 9 : utf8[i..].StartsWith("Infinity"u8) ? 8 : utf8[i..].StartsWith("NaN"u8) ? 3 : 0;
            if (length > 0)
            {
                output.AddRange("null"u8);
                i += length - 1;
                continue;
            }
            output.Add(b);
        }
        return [.. output];
    }

    // Characters written as they are; everything else is escaped (control characters, quote,
    // backslash, and all non-ASCII, as Python's ensure_ascii does).
    private static readonly System.Buffers.SearchValues<char> Plain = System.Buffers.SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // One builder per thread, reused: messages are serialised on every event, and a fresh builder
    // grew through several chunks for each of them.
    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>Serialises a node (null = JSON <c>null</c>).</summary>
    public static string Serialize(JsonNode? node)
    {
        StringBuilder sb = RentBuilder();
        Write(sb, node);
        string text = sb.ToString();
        ReturnBuilder(sb);
        return text;
    }

    /// <summary>Serialises a node to UTF-8 bytes (pure ASCII by construction).</summary>
    public static byte[] SerializeToUtf8(JsonNode? node)
    {
        StringBuilder sb = RentBuilder();
        Write(sb, node);
        // ASCII only: one byte per character, copied chunk by chunk without an intermediate string.
        byte[] bytes = new byte[sb.Length];
        int at = 0;
        foreach (ReadOnlyMemory<char> chunk in sb.GetChunks())
        {
            at += Encoding.ASCII.GetBytes(chunk.Span, bytes.AsSpan(at));
        }
        ReturnBuilder(sb);
        return bytes;
    }

    private static StringBuilder RentBuilder()
    {
        StringBuilder? sb = t_builder;
        t_builder = null;
        return sb is null ? new StringBuilder(1024) : sb.Clear();
    }

    private static void ReturnBuilder(StringBuilder sb)
    {
        if (sb.Capacity <= 64 * 1024)
        {
            t_builder = sb;
        }
    }

    /// <summary>Python's <c>repr</c> of a float: shortest round-trip digits, <c>.0</c> for integral values, exponent form outside 1e-4..1e16.</summary>
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
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }
        // "R" gives the shortest round-trip digits; only their layout differs from Python's repr.
        string shortest = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest.StartsWith('-');
        if (negative)
        {
            shortest = shortest[1..];
        }
        string mantissa = shortest;
        int exponent = 0;
        int e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            mantissa = shortest[..e];
            exponent = int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        string digits = (intPart + fracPart).TrimStart('0');
        int leadingZeros = (intPart + fracPart).Length - (intPart + fracPart).TrimStart('0').Length;
        // decimalExponent: position of the decimal point relative to the first significant digit.
        int pointPos = intPart.Length + exponent - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }
        int sciExp = pointPos - 1;
        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }
        if (sciExp < -4 || sciExp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits.AsSpan(1));
            }
            sb.Append('e').Append(sciExp < 0 ? '-' : '+').Append(Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPos <= 0)
        {
            sb.Append("0.").Append('0', -pointPos).Append(digits);
        }
        else if (pointPos >= digits.Length)
        {
            sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits.AsSpan(0, pointPos)).Append('.').Append(digits.AsSpan(pointPos));
        }
        return sb.ToString();
    }

    /// <summary>True when a number node is a float in Python terms (written with a fraction or exponent, or created from a floating-point CLR value).</summary>
    public static bool IsFloat(JsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.TryGetValue(out JsonElement element))
        {
            string raw = element.GetRawText();
            return raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0;
        }
        return value.TryGetValue(out double _) || value.TryGetValue(out float _) || value.TryGetValue(out decimal _);
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }
                    first = false;
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (int i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    Write(sb, arr[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
            default:
                throw new InvalidOperationException($"Unexpected JSON node {node.GetType()}.");
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                sb.Append("null");
                break;
            case JsonValueKind.Number:
                WriteNumber(sb, value);
                break;
            default:
                sb.Append(value.ToJsonString());
                break;
        }
    }

    private static void WriteNumber(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            string raw = element.GetRawText();
            if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
            {
                sb.Append(FormatFloat(element.GetDouble()));
            }
            else
            {
                sb.Append(raw);
            }
            return;
        }
        if (value.TryGetValue(out double d))
        {
            sb.Append(FormatFloat(d));
        }
        else if (value.TryGetValue(out float f))
        {
            sb.Append(FormatFloat(f));
        }
        else if (value.TryGetValue(out decimal m))
        {
            sb.Append(FormatFloat((double)m));
        }
        else
        {
            // Integers of any CLR width print as their invariant digits.
            sb.Append(value.ToJsonString());
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        ReadOnlySpan<char> rest = s;
        int plain;
        // Runs of plain characters are appended at once; only the others go through the switch.
        while ((plain = rest.IndexOfAnyExcept(Plain)) != 0)
        {
            if (plain < 0)
            {
                sb.Append(rest);
                sb.Append('"');
                return;
            }
            sb.Append(rest[..plain]);
            rest = rest[plain..];
        }
        foreach (char c in rest)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7E)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }
}
