using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Graph;
using ComfySharp.Protocol;

namespace ComfySharp.Engine.Python;

/// <summary>
/// Python text conventions the reference leaks into error messages: <c>repr</c>/<c>str</c> of values,
/// float formatting, class names and exception type names.
/// </summary>
public static class Py
{
    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, fixed notation for exponents -4..15, else scientific.</summary>
    public static string FloatRepr(double value) => value switch
    {
        // Only the special values differ between repr() and the JSON writer (nan/inf vs NaN/Infinity).
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => PythonJson.FormatFloat(value),
    };

    /// <summary>A JSON number node whose text is Python's float repr (so <c>3.0</c> stays <c>3.0</c> on the wire).</summary>
    public static JsonNode FloatNode(double value) =>
        double.IsFinite(value) ? JsonNode.Parse(FloatRepr(value))! : JsonValue.Create(value);

    /// <summary>Python's <c>repr(str)</c>.</summary>
    public static string StringRepr(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        char quote = value.Contains('\'', StringComparison.Ordinal) && !value.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder(value.Length + 2);
        sb.Append(quote);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) { sb.Append('\\').Append(c); }
                    else if (c < 0x20 || c == 0x7f) { sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); }
                    else { sb.Append(c); }
                    break;
            }
        }
        sb.Append(quote);
        return sb.ToString();
    }

    /// <summary>Python's <c>repr()</c> of a runtime or JSON value.</summary>
    public static string Repr(object? value) => value switch
    {
        string s => StringRepr(s),
        _ => Str(value),
    };

    /// <summary>Python's <c>str()</c> of a runtime or JSON value.</summary>
    public static string Str(object? value)
    {
        switch (value)
        {
            case null: return "None";
            case string s: return s;
            case bool b: return b ? "True" : "False";
            case double d: return FloatRepr(d);
            case float f: return FloatRepr(f);
            case long or int or ulong or BigInteger or short or byte or uint:
                return Convert.ToString(value, CultureInfo.InvariantCulture)!;
            case JsonNode node: return Str(JsonValues.ToClr(node));
            case JsonElement element: return Str(JsonValues.ToClr(JsonSerializer.SerializeToNode(element)));
            case IDictionary<string, JsonNode?> dict:
                return "{" + string.Join(", ", dict.Select(kv => StringRepr(kv.Key) + ": " + Repr(JsonValues.ToClr(kv.Value)))) + "}";
            case IReadOnlyDictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => StringRepr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case IEnumerable<JsonNode?> list:
                return "[" + string.Join(", ", list.Select(n => Repr(JsonValues.ToClr(n)))) + "]";
            case System.Collections.IEnumerable list when value is not string:
                return "[" + string.Join(", ", list.Cast<object?>().Select(Repr)) + "]";
            default: return value.ToString() ?? "";
        }
    }

    /// <summary>Python's name of a value's class (<c>int</c>, <c>float</c>, <c>str</c>, ...).</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long or int or ulong or BigInteger => "int",
        double or float => "float",
        string => "str",
        JsonObject => "dict",
        JsonArray => "list",
        JsonNode node => TypeName(JsonValues.ToClr(node)),
        IReadOnlyDictionary<string, object?> => "dict",
        System.Collections.IEnumerable => "list",
        _ => value.GetType().Name,
    };

    /// <summary><c>&lt;class 'int'&gt;</c> as Python prints a type.</summary>
    public static string ClassRepr(object? value) => "<class '" + TypeName(value) + "'>";

    /// <summary>Maps a .NET exception to the Python-style type name clients see in <c>exception_type</c>.</summary>
    public static string ExceptionTypeName(Exception exception) => exception switch
    {
        NodeException n => n.PythonType,
        KeyNotFoundException => "KeyError",
        FileNotFoundException or DirectoryNotFoundException => "FileNotFoundError",
        ArgumentOutOfRangeException or IndexOutOfRangeException => "IndexError",
        ArgumentException => "ValueError",
        DivideByZeroException => "ZeroDivisionError",
        InvalidCastException => "TypeError",
        NotImplementedException or NotSupportedException => "NotImplementedError",
        OutOfMemoryException or InsufficientMemoryException => "MemoryError",
        TimeoutException => "TimeoutError",
        OverflowException => "OverflowError",
        UnauthorizedAccessException => "PermissionError",
        IOException => "OSError",
        FormatException => "ValueError",
        _ => "RuntimeError",
    };

    /// <summary>The exception text as Python's <c>str(exception)</c> would print it.</summary>
    public static string ExceptionText(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is KeyNotFoundException k && k.Data["PythonKey"] is string key ? key : exception.Message;
    }

    /// <summary>Python-style traceback frames (<c>  File "...", line N, in f</c>) built from the .NET stack.</summary>
    public static JsonArray Traceback(Exception exception)
    {
        var frames = new JsonArray();
        var trace = new System.Diagnostics.StackTrace(exception, true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            string file = frame.GetFileName() ?? method?.DeclaringType?.FullName ?? "<unknown>";
            frames.Add($"  File \"{file}\", line {frame.GetFileLineNumber()}, in {method?.Name ?? "<unknown>"}\n");
        }
        return frames;
    }
}
