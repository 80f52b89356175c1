using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySharp.Engine.Graph;

/// <summary>Conversions between graph JSON values and the runtime values nodes receive.</summary>
public static class JsonValues
{
    /// <summary>
    /// The runtime value of a widget: integers as <see cref="long"/> (or <see cref="ulong"/>/<see cref="BigInteger"/>
    /// beyond it), numbers written with <c>.</c>/<c>e</c> as <see cref="double"/>, strings, bools, null;
    /// objects and arrays stay JSON nodes; embedded runtime objects come back unchanged.
    /// </summary>
    public static object? ToClr(JsonNode? node)
    {
        switch (node)
        {
            case null: return null;
            case JsonObject or JsonArray: return node;
            case JsonValue value:
                if (value.TryGetValue<JsonElement>(out JsonElement element))
                {
                    return FromElement(element, node);
                }
                if (value.TryGetValue<object>(out object? raw))
                {
                    return raw switch
                    {
                        int i => (long)i,
                        float f => (double)f,
                        decimal m => (double)m,
                        _ => raw,
                    };
                }
                return null;
            default: return null;
        }
    }

    private static object? FromElement(JsonElement element, JsonNode node) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => ParseNumber(element.GetRawText()),
        _ => node,
    };

    /// <summary>Parses a JSON number token keeping the integer/float distinction (Python's json module semantics).</summary>
    public static object ParseNumber(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.AsSpan().IndexOfAny(".eE") >= 0)
        {
            return double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) { return l; }
        if (ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out ulong u)) { return u; }
        return BigInteger.Parse(token, CultureInfo.InvariantCulture);
    }

    /// <summary>True when the value is a JSON number written as an integer literal.</summary>
    public static bool IsIntegerLiteral(object? value) => value is long or ulong or BigInteger or int;

    /// <summary>The JSON node for a runtime value produced by coercion or a node.</summary>
    public static JsonNode? FromClr(object? value) => value switch
    {
        null => null,
        BigInteger b => ComfySharp.Abstractions.JsonNumbers.Integer(b),
        double d => Python.Py.FloatNode(d),
        _ => ComfySharp.Abstractions.GraphBuilder.ToJson(value),
    };

    /// <summary>
    /// A link <c>["id", slot]</c>: a two-element array. Returns the raw elements (validation reports bad ids and slots itself).
    /// </summary>
    public static bool IsLink(JsonNode? value) => value is JsonArray { Count: 2 };

    /// <summary>Reads a well-formed link (string id, integer slot) or returns false.</summary>
    public static bool TryGetLink(JsonNode? value, out string sourceId, out int slot)
    {
        sourceId = "";
        slot = 0;
        if (value is not JsonArray { Count: 2 } array) { return false; }
        object? id = ToClr(array[0]);
        object? index = ToClr(array[1]);
        if (id is not string s || index is not long l || l < int.MinValue || l > int.MaxValue) { return false; }
        sourceId = s;
        slot = (int)l;
        return true;
    }
}
