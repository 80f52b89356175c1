using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Execution;

/// <summary>Output normalisation: a node's return value as outputs, subgraph and UI parts, and merging list results.</summary>
internal sealed partial class ExecutionRun
{
    private static (IReadOnlyList<IReadOnlyList<object?>> Outputs, List<(JsonObject?, IReadOnlyList<object?>)>? Subgraph, JsonObject Ui)
        FromReturns(List<object?> calls, NodeSchema schema)
    {
        var results = new List<IReadOnlyList<object?>>();
        var uis = new List<JsonObject>();
        var subgraph = new List<(JsonObject?, IReadOnlyList<object?>)>();
        bool hasSubgraph = false;
        foreach (object? call in calls)
        {
            ExecutionBlocker? blocked = call as ExecutionBlocker ?? (call as NodeOutput)?.Blocker;
            if (blocked is not null)
            {
                var tuple = Enumerable.Repeat<object?>(blocked, schema.Outputs.Count).ToList();
                results.Add(tuple);
                subgraph.Add((null, tuple));
                continue;
            }
            if (call is not NodeOutput output) { continue; }
            if (output.Ui is not null) { uis.Add(output.Ui); }
            if (output.Expand is not null)
            {
                hasSubgraph = true;
                subgraph.Add((output.Expand, output.Values));
            }
            else
            {
                results.Add(output.Values);
                subgraph.Add((null, output.Values));
            }
        }
        var ui = new JsonObject();
        if (uis.Count > 0)
        {
            foreach (var (key, _) in uis[0])
            {
                var merged = new JsonArray();
                foreach (var u in uis)
                {
                    if (u[key] is JsonArray items) { foreach (var item in items) { merged.Add(item?.DeepClone()); } }
                    else if (u.ContainsKey(key)) { merged.Add(u[key]?.DeepClone()); }
                }
                ui[key] = merged;
            }
        }
        if (hasSubgraph) { return ([], subgraph, ui); }
        return (results.Count > 0 ? Merge(results, schema) : [], null, ui);
    }

    private static List<IReadOnlyList<object?>> Merge(List<IReadOnlyList<object?>> results, NodeSchema schema)
    {
        var output = new List<IReadOnlyList<object?>>();
        int slots = results[0].Count;
        for (int i = 0; i < slots; i++)
        {
            bool isList = i < schema.Outputs.Count && schema.Outputs[i].IsList;
            var values = new List<object?>();
            foreach (var r in results)
            {
                object? v = i < r.Count ? r[i] : null;
                if (isList && v is not ExecutionBlocker && v is System.Collections.IEnumerable items && v is not string && v is not JsonNode)
                {
                    foreach (object? item in items) { values.Add(item); }
                }
                else
                {
                    values.Add(v);
                }
            }
            output.Add(values);
        }
        return output;
    }
}
