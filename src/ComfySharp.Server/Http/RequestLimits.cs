using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Server.Http;

/// <summary>
/// What a JSON request body may contain so that everything stored from it can be read back
/// (<c>/history</c>, <c>/queue</c>, <c>/api/jobs</c>, the durable queue after a restart): nesting
/// depth well under the depth stored entries are read with, and only numbers a JSON reader can carry.
/// A body outside these limits is refused with 400 (<see cref="RequestRejectedException"/>).
/// </summary>
public static class RequestLimits
{
    /// <summary>
    /// Deepest nesting a request body may have. Stored entries wrap a request's values a few levels
    /// deeper (history entry → prompt tuple → extra_data → value), and are read back with
    /// <see cref="PythonJson.MaxStoredDepth"/>, so this leaves ample headroom. Workflows nest about 10 deep.
    /// </summary>
    public const int MaxDepth = 128;

    /// <summary>
    /// Longest integer literal accepted, in digits: Python refuses to convert longer ones
    /// (<c>sys.get_int_max_str_digits()</c>), so no client of the reference can send them either.
    /// </summary>
    public const int MaxIntegerDigits = 4300;

    /// <summary>Parses a request body with <see cref="MaxDepth"/>; invalid JSON throws <see cref="JsonException"/>.</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, PythonJson.NodeOptions, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex) when (IsTooDeep(ex))
        {
            throw new RequestRejectedException($"The JSON body nests deeper than {MaxDepth} levels.", ex);
        }
        Check(node);
        return node;
    }

    /// <summary>
    /// Walks the whole tree (without recursion), which also materialises it so no reader races on lazy
    /// creation, and refuses numbers that cannot be stored and read back, text with lone surrogates and
    /// duplicate keys the tree cannot hold.
    /// </summary>
    public static void Check(JsonNode? root)
    {
        var pending = new Stack<JsonNode?>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case JsonObject o:
                    IEnumerable<KeyValuePair<string, JsonNode?>> members;
                    try
                    {
                        members = o.ToList();
                    }
                    catch (ArgumentException ex)
                    {
                        throw new RequestRejectedException("The JSON body has an object with a duplicate key.", ex);
                    }
                    catch (InvalidOperationException ex)
                    {
                        // The reader refuses to unescape a key with a lone surrogate.
                        throw new RequestRejectedException("The JSON body has a key with a lone UTF-16 surrogate.", ex);
                    }
                    foreach (var (key, child) in members)
                    {
                        CheckText(key);
                        pending.Push(child);
                    }
                    break;
                case JsonArray a:
                    foreach (JsonNode? child in a)
                    {
                        pending.Push(child);
                    }
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    CheckNumber(v.ToJsonString());
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    string text;
                    try
                    {
                        text = v.GetValue<string>();
                    }
                    catch (InvalidOperationException ex)
                    {
                        // The reader refuses to unescape a lone surrogate; anything reading the value later would fail the same way.
                        throw new RequestRejectedException("The JSON body has a string with a lone UTF-16 surrogate.", ex);
                    }
                    CheckText(text);
                    break;
            }
        }
    }

    /// <summary>Refuses a number token that is not finite as a float or has more than <see cref="MaxIntegerDigits"/> digits.</summary>
    public static void CheckNumber(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.AsSpan().IndexOfAny(".eE") >= 0)
        {
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw new RequestRejectedException($"The number {Shorten(token)} is out of range for a float.");
            }
        }
        else if (token.TrimStart('-').Length > MaxIntegerDigits)
        {
            throw new RequestRejectedException($"An integer has more than {MaxIntegerDigits} digits.");
        }
    }

    /// <summary>
    /// Refuses text with a lone UTF-16 surrogate (<c>"\ud800"</c>): JSON's escapes can spell one, but no
    /// UTF-8 file, file name or JSON writer can carry it, so it would fail wherever it is written later.
    /// </summary>
    public static void CheckText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new RequestRejectedException("The JSON body has a string with a lone UTF-16 surrogate.");
            }
        }
    }

    /// <summary>A finite float from a value the client sent (number or numeric string), or a rejection naming the field.</summary>
    public static double FiniteFloat(double value, string field) =>
        double.IsFinite(value) ? value : throw new RequestRejectedException($"'{field}' must be a finite number.");

    private static string Shorten(string token) => token.Length <= 40 ? token : token[..40] + "...";

    // Only the reader's depth limit ("The maximum configured depth of 128 has been exceeded"); other syntax
    // errors (an unclosed "{" also speaks of depth) stay invalid JSON, which answers 500 as API.md §0.2 says.
    private static bool IsTooDeep(JsonException ex) =>
        ex.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A request refused before anything is stored or run: 400 with the spec's error shape.</summary>
public sealed class RequestRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RequestRejectedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RequestRejectedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RequestRejectedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The 400 body: <c>{"error": {"type": "invalid_request", "message", "details", "extra_info"}, "node_errors": {}}</c>.</summary>
    public static JsonObject Body(string details) => new()
    {
        ["error"] = new JsonObject
        {
            ["type"] = "invalid_request",
            ["message"] = "Invalid request",
            ["details"] = details,
            ["extra_info"] = new JsonObject(),
        },
        ["node_errors"] = new JsonObject(),
    };
}
