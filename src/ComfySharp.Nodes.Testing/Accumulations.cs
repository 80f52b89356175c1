using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>The ACCUMULATION value of the list nodes: a dictionary with one key, <c>accum</c>, holding the items.</summary>
internal static class Accumulations
{
    public static Dictionary<string, object?> Make(List<object?> items) => new(StringComparer.Ordinal) { ["accum"] = items };

    public static List<object?> Items(object? accumulation) => accumulation switch
    {
        null => [],
        IReadOnlyDictionary<string, object?> d when d.TryGetValue("accum", out object? items) && items is IEnumerable<object?> list => [.. list],
        JsonObject o when o["accum"] is JsonArray array => [.. array.Select(n => (object?)n)],
        _ => throw new NodeException("TypeError", "'accum' is not available on this value"),
    };

    public static int PythonIndex(long index, int count, string message)
    {
        long i = index < 0 ? index + count : index;
        if (i < 0 || i >= count) { throw new NodeException("IndexError", message); }
        return (int)i;
    }
}
