using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>
/// Flattens the new frontend's subgraphs (<c>definitions.subgraphs</c>; an instance is a node whose type is a
/// definition's id) the way the frontend does before it queues: every inner node becomes a node of its own with
/// the id <c>instance:inner</c> (nested: <c>a:b:c</c>), links through the subgraph's input and output slots are
/// joined to the links outside, and an instance input that nothing links outside takes the value of the
/// instance's promoted widget (its <c>widgets_values</c>, one per subgraph input that feeds a widget, in input order).
/// </summary>
/// <remarks>
/// Each subgraph input and output slot of an instance becomes a pass-through <c>Reroute</c> node (never sent to
/// the server), so reroutes, bypassed nodes and nesting resolve by the converter's usual rules. A muted or bypassed
/// instance is not expanded: it is skipped or passed through like any muted or bypassed node.
/// </remarks>
internal static class UiSubgraphs
{
    /// <summary>The key under which a pass-through node carries the promoted widget value of an unlinked instance input.</summary>
    public const string PromotedValue = "__promoted_value";

    private const long InputNodeId = -10;
    private const long OutputNodeId = -20;
    private const int MaxDepth = 32;

    /// <summary>A flat copy of <paramref name="workflow"/> (nodes and links only); the input itself when it has no subgraphs.</summary>
    public static JsonObject Expand(JsonObject workflow)
    {
        var definitions = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        Collect(workflow, definitions, 0);
        if (definitions.Count == 0)
        {
            return workflow;
        }
        var flat = new Flattener(definitions, (workflow["links"] as JsonArray ?? []).Select(LinkId).DefaultIfEmpty(0).Max() + 1);
        flat.AddGraph(workflow, "", id => id, 0);
        var result = new JsonObject { ["nodes"] = flat.Nodes, ["links"] = flat.Links };
        foreach ((string key, JsonNode? value) in workflow)
        {
            if (key is not ("nodes" or "links" or "definitions"))
            {
                result[key] = value?.DeepClone();
            }
        }
        return result;
    }

    private static void Collect(JsonObject graph, Dictionary<string, JsonObject> definitions, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }
        foreach (JsonObject definition in (graph["definitions"]?["subgraphs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (definition["id"] is JsonValue id && id.TryGetValue(out string? key) && definitions.TryAdd(key, definition))
            {
                Collect(definition, definitions, depth + 1);
            }
        }
    }

    private sealed class Flattener(Dictionary<string, JsonObject> definitions, long nextLinkId)
    {
        public JsonArray Nodes { get; } = [];

        public JsonArray Links { get; } = [];

        /// <summary>Adds a graph's nodes and links under <paramref name="prefix"/>; <paramref name="mapLink"/> gives each of its link ids its id in the flat graph.</summary>
        public void AddGraph(JsonObject graph, string prefix, Func<long, long> mapLink, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new FormatException("Subgraphs are nested more than 32 deep (or contain themselves).");
            }
            var nodes = (graph["nodes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var expanded = nodes.Where(IsExpanded).Select(n => Id(n["id"])).ToHashSet(StringComparer.Ordinal);
            foreach (JsonNode? link in graph["links"] as JsonArray ?? [])
            {
                (long id, string origin, long originSlot, string target, long targetSlot, JsonNode? type) = Parts(link);
                long newId = mapLink(id);
                (string from, long fromSlot) = origin switch
                {
                    _ when expanded.Contains(origin) => ($"{Path(prefix, origin)}:{OutputNodeId}:{originSlot}", 0L),
                    _ when prefix.Length > 0 && origin == InputNodeId.ToString(CultureInfo.InvariantCulture) => ($"{prefix}:{InputNodeId}:{originSlot}", 0L),
                    _ => (Path(prefix, origin), originSlot),
                };
                (string to, long toSlot) = prefix.Length > 0 && target == OutputNodeId.ToString(CultureInfo.InvariantCulture)
                    ? ($"{prefix}:{OutputNodeId}:{targetSlot}", 0L)
                    : (Path(prefix, target), targetSlot);
                Links.Add(new JsonObject
                {
                    ["id"] = newId, ["origin_id"] = from, ["origin_slot"] = fromSlot, ["target_id"] = to, ["target_slot"] = toSlot, ["type"] = type?.DeepClone(),
                });
            }
            foreach (JsonObject node in nodes)
            {
                var copy = (JsonObject)node.DeepClone();
                copy["id"] = Path(prefix, Id(node["id"]));
                foreach (JsonObject input in (copy["inputs"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (UiWorkflowConverter.TryLinkId(input["link"], out long linkId))
                    {
                        input["link"] = mapLink(linkId);
                    }
                }
                if (IsExpanded(node))
                {
                    AddInstance(copy, definitions[Type(node)], depth);
                }
                else
                {
                    Nodes.Add(copy);
                }
            }
        }

        // An instance: pass-through nodes for its input and output slots, then the definition's nodes under its id.
        private void AddInstance(JsonObject instance, JsonObject definition, int depth)
        {
            string path = instance["id"]!.GetValue<string>();
            var innerLinks = (definition["links"] as JsonArray ?? []).Select(Parts).ToList();
            var innerNodes = (definition["nodes"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(n => Id(n["id"]), StringComparer.Ordinal);
            var instanceInputs = (instance["inputs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var subgraphInputs = (definition["inputs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            JsonNode? widgetValues = instance["widgets_values"];
            int promoted = 0;
            for (int k = 0; k < subgraphInputs.Count; k++)
            {
                string name = subgraphInputs[k]["name"]?.GetValue<string>() ?? "";
                // The instance's input of that name (saved instances may omit unlinked widget inputs, so not by index).
                JsonObject? outer = instanceInputs.FirstOrDefault(i => i["name"] is JsonValue n && n.TryGetValue(out string? s) && s == name);
                var passThrough = new JsonObject
                {
                    ["id"] = $"{path}:{InputNodeId}:{k}", ["type"] = "Reroute", ["mode"] = 0L,
                    ["inputs"] = new JsonArray(new JsonObject { ["name"] = name, ["type"] = subgraphInputs[k]["type"]?.DeepClone(), ["link"] = outer?["link"]?.DeepClone() }),
                };
                bool feedsWidget = innerLinks.Any(l => l.Origin == InputNodeId.ToString(CultureInfo.InvariantCulture) && l.OriginSlot == k
                    && innerNodes.TryGetValue(l.Target, out JsonObject? target) && target["inputs"] is JsonArray targetInputs
                    && l.TargetSlot < targetInputs.Count && targetInputs[(int)l.TargetSlot]?["widget"] is not null);
                if (feedsWidget)
                {
                    JsonNode? value = widgetValues switch
                    {
                        JsonArray values when promoted < values.Count => values[promoted],
                        JsonObject named when named.TryGetPropertyValue(name, out JsonNode? v) => v,
                        _ => null,
                    };
                    if (value is not null)
                    {
                        passThrough[PromotedValue] = value.DeepClone();
                    }
                    promoted++;
                }
                Nodes.Add(passThrough);
            }
            var subgraphOutputs = (definition["outputs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var innerIds = innerLinks.ToDictionary(l => l.Id, _ => nextLinkId++);
            for (int o = 0; o < subgraphOutputs.Count; o++)
            {
                long? feed = innerLinks.Where(l => l.Target == OutputNodeId.ToString(CultureInfo.InvariantCulture) && l.TargetSlot == o)
                    .Select(l => (long?)innerIds[l.Id]).FirstOrDefault();
                Nodes.Add(new JsonObject
                {
                    ["id"] = $"{path}:{OutputNodeId}:{o}", ["type"] = "Reroute", ["mode"] = 0L,
                    ["inputs"] = new JsonArray(new JsonObject { ["name"] = subgraphOutputs[o]["name"]?.DeepClone(), ["type"] = subgraphOutputs[o]["type"]?.DeepClone(), ["link"] = feed }),
                });
            }
            AddGraph(definition, path, id => innerIds.TryGetValue(id, out long mapped) ? mapped : nextLinkId++, depth + 1);
        }

        private bool IsExpanded(JsonObject node)
        {
            long mode = node["mode"] is JsonValue ? Long(node["mode"]) : 0;
            return definitions.ContainsKey(Type(node)) && mode is not (2 or 4);
        }
    }

    private static string Type(JsonObject node) => node["type"] is JsonValue t && t.TryGetValue(out string? type) ? type : "";

    private static string Path(string prefix, string id) => prefix.Length == 0 ? id : $"{prefix}:{id}";

    private static (long Id, string Origin, long OriginSlot, string Target, long TargetSlot, JsonNode? Type) Parts(JsonNode? link) => link switch
    {
        JsonArray a when a.Count >= 5 => (Long(a[0]), Id(a[1]), Long(a[2]), Id(a[3]), Long(a[4]), a.Count > 5 ? a[5] : null),
        JsonObject o => (Long(o["id"]), Id(o["origin_id"]), Long(o["origin_slot"]), Id(o["target_id"]), Long(o["target_slot"]), o["type"]),
        _ => throw new FormatException($"Malformed link {link?.ToJsonString() ?? "null"}."),
    };

    private static long LinkId(JsonNode? link) => link switch
    {
        JsonArray { Count: > 0 } a => Long(a[0]),
        JsonObject o => Long(o["id"]),
        _ => 0,
    };

    /// <summary>A node id as text: numbers in invariant form, strings (flattened ids) as they are.</summary>
    internal static string Id(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out long l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue(out int i) => i.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue(out double d) => ((long)d).ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw new FormatException($"Expected a node id, got {node?.ToJsonString() ?? "null"}."),
    };

    private static long Long(JsonNode? node) => UiWorkflowConverter.Long(node);
}
