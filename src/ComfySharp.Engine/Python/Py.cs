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

    /// <summary>
    /// Containers nested deeper than this print as <c>...</c>: Python's <c>repr</c> would print them all,
    /// but error text never needs that much, and the printer must not recurse without bound.
    /// </summary>
    public const int MaxReprDepth = 32;

    /// <summary>Python's <c>repr()</c> of a runtime or JSON value.</summary>
    public static string Repr(object? value) => value switch
    {
        string s => StringRepr(s),
        _ => Str(value),
    };

    /// <summary>Python's <c>str()</c> of a runtime or JSON value.</summary>
    public static string Str(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value, repr: false, depth: 0);
        return sb.ToString();
    }

    // One printer for str() and repr(): containers print their items with repr(). Each level adds one
    // to depth, so the recursion is bounded by MaxReprDepth whatever the input.
    private static void Write(StringBuilder sb, object? value, bool repr, int depth)
    {
        if (value is JsonValue jsonValue)
        {
            value = JsonValues.ToClr(jsonValue);
        }
        else if (value is JsonElement element)
        {
            value = JsonValues.ToClr(JsonSerializer.SerializeToNode(element));
        }
        switch (value)
        {
            case null: sb.Append("None"); return;
            case string s: sb.Append(repr ? StringRepr(s) : s); return;
            case bool b: sb.Append(b ? "True" : "False"); return;
            case double d: sb.Append(FloatRepr(d)); return;
            case float f: sb.Append(FloatRepr(f)); return;
            case long or int or ulong or BigInteger or short or byte or uint:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case JsonNode and not (JsonObject or JsonArray):
                sb.Append(value);
                return;
        }
        bool isMap = value is IDictionary<string, JsonNode?> or IReadOnlyDictionary<string, object?>;
        bool isList = !isMap && value is System.Collections.IEnumerable;
        if (!isMap && !isList)
        {
            sb.Append(value.ToString());
            return;
        }
        if (depth >= MaxReprDepth)
        {
            sb.Append(isMap ? "{...}" : "[...]");
            return;
        }
        bool first = true;
        if (value is IDictionary<string, JsonNode?> jsonMap)
        {
            sb.Append('{');
            foreach (var (key, item) in jsonMap)
            {
                if (!first) { sb.Append(", "); }
                first = false;
                sb.Append(StringRepr(key)).Append(": ");
                Write(sb, item, repr: true, depth + 1);
            }
            sb.Append('}');
            return;
        }
        if (value is IReadOnlyDictionary<string, object?> map)
        {
            sb.Append('{');
            foreach (var (key, item) in map)
            {
                if (!first) { sb.Append(", "); }
                first = false;
                sb.Append(StringRepr(key)).Append(": ");
                Write(sb, item, repr: true, depth + 1);
            }
            sb.Append('}');
            return;
        }
        sb.Append('[');
        foreach (object? item in (System.Collections.IEnumerable)value)
        {
            if (!first) { sb.Append(", "); }
            first = false;
            Write(sb, item, repr: true, depth + 1);
        }
        sb.Append(']');
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
        JsonValue node => JsonValues.ToClr(node) is var clr && clr is not JsonValue ? TypeName(clr) : node.GetValueKind() == JsonValueKind.Object ? "dict" : "list",
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
    /// <remarks>
    /// <paramref name="withFileInfo"/> reads source positions from the symbol files, which costs about a
    /// millisecond per trace: validation, which may report thousands of errors in one reply, leaves it off.
    /// </remarks>
    public static JsonArray Traceback(Exception exception, bool withFileInfo = true)
    {
        var frames = new JsonArray();
        var trace = new System.Diagnostics.StackTrace(exception, withFileInfo);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            string file = frame.GetFileName() ?? method?.DeclaringType?.FullName ?? "<unknown>";
            frames.Add($"  File \"{file}\", line {frame.GetFileLineNumber()}, in {method?.Name ?? "<unknown>"}\n");
        }
        return frames;
    }
}
