using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace ComfySharp.Server.Tests.Support;

/// <summary>Compares JSON shapes: same keys in the same order and the same kinds of values (ids and numbers differ run to run).</summary>
internal static class Shape
{
    public static void AssertSame(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case JsonObject e:
                var a = Assert.IsType<JsonObject>(actual, exactMatch: false);
                Assert.True(e.Select(kv => kv.Key).SequenceEqual(a.Select(kv => kv.Key)),
                    $"{path}: keys [{string.Join(", ", e.Select(kv => kv.Key))}] vs [{string.Join(", ", a.Select(kv => kv.Key))}]");
                foreach (var (key, value) in e)
                {
                    AssertSame(value, a[key], $"{path}.{key}");
                }
                break;
            case JsonArray ea:
                var aa = Assert.IsType<JsonArray>(actual, exactMatch: false);
                if (ea.Count > 0 && aa.Count > 0)
                {
                    AssertSame(ea[0], aa[0], $"{path}[0]");
                }
                break;
            default:
                Assert.True(Kind(expected) == Kind(actual) || Kind(expected) == JsonValueKind.Null || Kind(actual) == JsonValueKind.Null,
                    $"{path}: {Kind(expected)} vs {Kind(actual)}");
                break;
        }
    }

    private static JsonValueKind Kind(JsonNode? node) => node switch
    {
        null => JsonValueKind.Null,
        JsonValue v => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : v.GetValueKind(),
        _ => node.GetValueKind(),
    };
}
