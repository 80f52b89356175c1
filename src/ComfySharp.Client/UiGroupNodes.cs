using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>
/// Expands the legacy frontend's group nodes (<c>extra.groupNodes</c>, node types <c>workflow/NAME</c>) into their
/// inner nodes, the way the frontend does before it queues: the group's unlinked inner inputs (in inner-node order)
/// are its inputs, the inner outputs not consumed inside (or listed in <c>external</c>) are its outputs, and its
/// widget values are handed to the inner nodes in order.
/// </summary>
internal static class UiGroupNodes
{
    private const string Prefix = "workflow/";

    /// <summary>A copy of <paramref name="workflow"/> with every group node expanded; the input itself when it has none.</summary>
    public static JsonObject Expand(JsonObject workflow, JsonObject objectInfo)
    {
        if (workflow["extra"]?["groupNodes"] is not JsonObject groups || groups.Count == 0)
        {
            return workflow;
        }
        var result = (JsonObject)workflow.DeepClone();
        var nodes = (JsonArray)(result["nodes"] ?? new JsonArray());
        var links = (JsonArray)(result["links"] ?? new JsonArray());
        long nextNodeId = nodes.OfType<JsonObject>().Select(n => Long(n["id"])).DefaultIfEmpty(0).Max() + 1;
        long nextLinkId = links.Select(LinkId).DefaultIfEmpty(0).Max() + 1;
        foreach (JsonObject group in nodes.OfType<JsonObject>().ToList())
        {
            string type = group["type"]?.GetValue<string>() ?? "";
            if (!type.StartsWith(Prefix, StringComparison.Ordinal) || groups[type[Prefix.Length..]] is not JsonObject definition)
            {
                continue;
            }
            long groupId = Long(group["id"]);
            var inner = (definition["nodes"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(n => (JsonObject)n.DeepClone()).OrderBy(n => Long(n["index"])).ToList();
            var idOf = inner.ToDictionary(n => Long(n["index"]), _ => nextNodeId++);
            var internalTargets = new HashSet<(long Node, long Slot)>();
            var internalSources = new HashSet<(long Node, long Slot)>();
            foreach (JsonArray link in (definition["links"] as JsonArray ?? []).OfType<JsonArray>())
            {
                if (link.Count < 4 || link[0] is null || link[2] is null)
                {
                    continue;
                }
                long origin = Long(link[0]), originSlot = Long(link[1]), target = Long(link[2]), targetSlot = Long(link[3]);
                long id = nextLinkId++;
                links.Add(new JsonArray(id, idOf[origin], originSlot, idOf[target], targetSlot, link.Count > 5 ? link[5]?.DeepClone() : "*"));
                internalTargets.Add((target, targetSlot));
                internalSources.Add((origin, originSlot));
                if (inner.First(n => Long(n["index"]) == target)["inputs"] is JsonArray targetInputs && targetSlot < targetInputs.Count
                    && targetInputs[(int)targetSlot] is JsonObject input)
                {
                    input["link"] = id;
                }
            }

            // The group's inputs: inner inputs not fed inside the group, in inner-node then slot order.
            var groupInputs = (group["inputs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            int nextInput = 0;
            foreach (JsonObject node in inner)
            {
                long index = Long(node["index"]);
                var nodeInputs = (node["inputs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                for (int slot = 0; slot < nodeInputs.Count; slot++)
                {
                    if (internalTargets.Contains((index, slot)) || nodeInputs[slot]["widget"] is not null)
                    {
                        continue;
                    }
                    nodeInputs[slot]["link"] = nextInput < groupInputs.Count ? groupInputs[nextInput]["link"]?.DeepClone() : null;
                    nextInput++;
                }
            }

            // The group's outputs: inner outputs listed as external or not consumed inside, in inner-node then slot order.
            var external = (definition["external"] as JsonArray ?? []).OfType<JsonArray>()
                .Where(e => e.Count >= 2).Select(e => (Long(e[0]), Long(e[1]))).ToHashSet();
            var outputs = new List<(long Node, long Slot)>();
            foreach (JsonObject node in inner)
            {
                long index = Long(node["index"]);
                int count = (node["outputs"] as JsonArray)?.Count ?? 0;
                for (int slot = 0; slot < count; slot++)
                {
                    if (external.Contains((index, slot)) || !internalSources.Contains((index, slot)))
                    {
                        outputs.Add((index, slot));
                    }
                }
            }
            foreach (JsonNode? link in links)
            {
                Retarget(link, groupId, outputs, idOf);
            }

            // The group's widget values go to the inner nodes' widgets in order.
            JsonArray values = group["widgets_values"] as JsonArray ?? [];
            int cursor = 0;
            int mode = (int)(group["mode"] is null ? 0 : Long(group["mode"]));
            foreach (JsonObject node in inner)
            {
                node["id"] = idOf[Long(node["index"])];
                node.Remove("index");
                if (mode is 2 or 4)
                {
                    node["mode"] = mode;
                }
                string innerType = node["type"]?.GetValue<string>() ?? "";
                if (objectInfo[innerType] is JsonObject info && cursor < values.Count)
                {
                    var taken = new JsonArray();
                    foreach ((string name, JsonObject? options, string widgetType) in UiWorkflowConverter.WidgetSpecs(info))
                    {
                        if (cursor >= values.Count)
                        {
                            break;
                        }
                        taken.Add(values[cursor++]?.DeepClone());
                        if (UiWorkflowConverter.HasControl(name, options, widgetType) && cursor < values.Count && UiWorkflowConverter.IsControlValue(values[cursor]))
                        {
                            taken.Add(values[cursor++]?.DeepClone());
                        }
                    }
                    node["widgets_values"] = taken;
                }
                nodes.Add(node);
            }
            nodes.Remove(group);
        }
        return result;
    }

    private static void Retarget(JsonNode? link, long groupId, List<(long Node, long Slot)> outputs, Dictionary<long, long> idOf)
    {
        if (link is JsonArray a && a.Count >= 3 && Long(a[1]) == groupId && Long(a[2]) < outputs.Count)
        {
            (long node, long slot) = outputs[(int)Long(a[2])];
            a[1] = idOf[node];
            a[2] = slot;
        }
        else if (link is JsonObject o && Long(o["origin_id"]) == groupId && Long(o["origin_slot"]) < outputs.Count)
        {
            (long node, long slot) = outputs[(int)Long(o["origin_slot"])];
            o["origin_id"] = idOf[node];
            o["origin_slot"] = slot;
        }
    }

    private static long LinkId(JsonNode? link) => link switch
    {
        JsonArray a when a.Count > 0 => Long(a[0]),
        JsonObject o => Long(o["id"]),
        _ => 0,
    };

    private static long Long(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out long l) => l,
        JsonValue v when v.TryGetValue(out double d) => (long)d,
        JsonValue v when v.TryGetValue(out string? s) && long.TryParse(s, CultureInfo.InvariantCulture, out long p) => p,
        _ => -1,
    };
}
