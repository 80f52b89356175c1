using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>
/// Converts the workflow the ComfyUI frontend saves (<c>nodes</c>/<c>links</c>, <c>widgets_values</c>) into the API
/// format, using <c>/object_info</c> for widget order the way the frontend does when it queues.
/// </summary>
public static class UiWorkflowConverter
{
    private static readonly FrozenSet<string> WidgetTypes = new string[] { "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", DynamicCombo }.ToFrozenSet(StringComparer.Ordinal);
    // A V3 combo whose chosen option reveals more widgets, named "{combo}.{input}" and stored right after it.
    private const string DynamicCombo = "COMFY_DYNAMICCOMBO_V3";
    private static readonly FrozenSet<string> ControlValues = new string[] { "fixed", "increment", "decrement", "randomize" }.ToFrozenSet(StringComparer.Ordinal);
    // Frontend-only nodes: never sent to the server.
    private static readonly FrozenSet<string> UiOnlyNodes = new string[] { "Note", "MarkdownNote", "Reroute", "PrimitiveNode" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="workflow"/> looks like the frontend's format rather than the API format.</summary>
    public static bool IsUiFormat(JsonObject workflow) =>
        workflow is not null && workflow["nodes"] is JsonArray && workflow["links"] is JsonArray;

    /// <summary>Converts a UI workflow. Throws <see cref="FormatException"/> for unknown node types or malformed input.</summary>
    public static JsonObject Convert(JsonObject workflow, JsonObject objectInfo)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(objectInfo);
        if (workflow["nodes"] is not JsonArray)
        {
            throw new FormatException("The workflow has no 'nodes' array.");
        }
        workflow = UiSubgraphs.Expand(UiGroupNodes.Expand(workflow, objectInfo));
        var nodes = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (JsonObject node in (workflow["nodes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            nodes[UiSubgraphs.Id(node["id"])] = node;
        }
        var links = new Dictionary<long, (string Origin, int Slot)>();
        foreach (JsonNode? link in workflow["links"] as JsonArray ?? [])
        {
            if (link is JsonArray a && a.Count >= 5)
            {
                links[Long(a[0])] = (UiSubgraphs.Id(a[1]), (int)Long(a[2]));
            }
            else if (link is JsonObject o)
            {
                links[Long(o["id"])] = (UiSubgraphs.Id(o["origin_id"]), (int)Long(o["origin_slot"]));
            }
        }

        var prompt = new JsonObject();
        foreach ((string id, JsonObject node) in nodes.OrderBy(p => p.Key, NodeIdComparer.Instance))
        {
            string type = node["type"]?.GetValue<string>() ?? throw new FormatException($"Node {id} has no type.");
            int mode = (int)(node["mode"] is null ? 0 : Long(node["mode"]));
            if (UiOnlyNodes.Contains(type) || mode is 2 or 4)
            {
                continue;
            }
            if (objectInfo[type] is not JsonObject info)
            {
                throw new FormatException($"Node {id} has unknown type '{type}' (not in the server's /object_info).");
            }
            var inputs = new JsonObject();
            AssignWidgets(node, info, inputs);
            foreach (JsonObject input in (node["inputs"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (!TryLinkId(input["link"], out long linkId))
                {
                    continue;
                }
                string name = input["name"]?.GetValue<string>() ?? "";
                switch (Resolve(linkId, links, nodes, input["type"]?.GetValue<string>()))
                {
                    case { Value: { } value }:
                        // An unlinked subgraph input: the subgraph instance's promoted widget value.
                        inputs[name] = value.DeepClone();
                        break;
                    case { Origin: { } origin } source:
                        inputs[name] = new JsonArray(origin, source.Slot);
                        break;
                }
            }
            var entry = new JsonObject { ["inputs"] = inputs, ["class_type"] = type };
            if (node["title"] is JsonValue title)
            {
                entry["_meta"] = new JsonObject { ["title"] = title.DeepClone() };
            }
            prompt[id] = entry;
        }
        return prompt;
    }

    /// <summary>The widgets of a node type in the frontend's order: (input name, options, widget type).</summary>
    internal static List<(string Name, JsonObject? Options, string Type)> WidgetSpecs(JsonObject info)
    {
        var widgetNames = new List<(string Name, JsonObject? Options, string Type)>();
        foreach (string section in new[] { "required", "optional" })
        {
            JsonObject? specs = info["input"]?[section] as JsonObject;
            IEnumerable<string> order = info["input_order"]?[section] is JsonArray ordered
                ? ordered.Select(n => n?.GetValue<string>() ?? "")
                : specs?.Select(p => p.Key) ?? [];
            foreach (string name in order)
            {
                if (specs?[name] is not JsonArray spec || spec.Count == 0)
                {
                    continue;
                }
                JsonObject? options = spec.Count > 1 ? spec[1] as JsonObject : null;
                string type = spec[0] is JsonArray ? "COMBO" : spec[0]?.GetValue<string>() ?? "";
                bool forceInput = options?["forceInput"] is JsonValue f && f.TryGetValue(out bool fi) && fi;
                if (WidgetTypes.Contains(type) && !forceInput)
                {
                    widgetNames.Add((name, options, type));
                }
            }
        }
        return widgetNames;
    }

    /// <summary>True when the frontend stores a "control after generate" value after this widget.</summary>
    internal static bool HasControl(string name, JsonObject? options, string type) =>
        options?["control_after_generate"] is JsonValue c && c.TryGetValue(out bool cag) ? cag : type == "INT" && name is "seed" or "noise_seed";

    /// <summary>True when <paramref name="value"/> is a stored "control after generate" choice (or an old boolean toggle).</summary>
    internal static bool IsControlValue(JsonNode? value) =>
        value is JsonValue v && ((v.TryGetValue(out string? control) && ControlValues.Contains(control)) || v.TryGetValue(out bool _));

    private static void AssignWidgets(JsonObject node, JsonObject info, JsonObject inputs)
    {
        List<(string Name, JsonObject? Options, string Type)> widgetNames = WidgetSpecs(info);
        if (node["widgets_values"] is JsonObject named)
        {
            for (int w = 0; w < widgetNames.Count; w++)
            {
                (string name, JsonObject? options, string type) = widgetNames[w];
                if (named.TryGetPropertyValue(name, out JsonNode? value))
                {
                    inputs[name] = value?.DeepClone();
                    widgetNames.InsertRange(w + 1, RevealedWidgets(name, options, type, value));
                }
            }
            return;
        }
        JsonArray values = node["widgets_values"] as JsonArray ?? [];
        int index = 0;
        for (int w = 0; w < widgetNames.Count; w++)
        {
            (string name, JsonObject? options, string type) = widgetNames[w];
            if (type == DynamicCombo)
            {
                JsonNode? chosen = index < values.Count ? values[index] : DefaultOf(options, type, name, info);
                widgetNames.InsertRange(w + 1, RevealedWidgets(name, options, type, chosen));
            }
            if (index >= values.Count)
            {
                // A widget added to the node after the workflow was saved: the frontend gives it its default.
                if (DefaultOf(options, type, name, info) is { } fallback)
                {
                    inputs[name] = fallback;
                }
                continue;
            }
            inputs[name] = values[index++]?.DeepClone();
            // The frontend stores its "control after generate" choice right after the widget; it is UI-only.
            // Old frontends stored a boolean "randomize" toggle there instead of the option name.
            if (HasControl(name, options, type) && index < values.Count && IsControlValue(values[index]))
            {
                index++;
            }
        }
    }

    // The widgets a dynamic combo's chosen option adds, with their full names; none for other widgets.
    private static List<(string Name, JsonObject? Options, string Type)> RevealedWidgets(string name, JsonObject? options, string type, JsonNode? chosen)
    {
        var revealed = new List<(string, JsonObject?, string)>();
        if (type != DynamicCombo || chosen is not JsonValue value || !value.TryGetValue(out string? key))
        {
            return revealed;
        }
        JsonObject? option = (options?["options"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(o => (string?)o["key"] == key);
        foreach (string section in new[] { "required", "optional" })
        {
            foreach ((string input, JsonNode? spec) in option?["inputs"]?[section] as JsonObject ?? [])
            {
                string inputType = spec is JsonArray { Count: > 0 } array ? (array[0] is JsonArray ? "COMBO" : array[0]?.GetValue<string>() ?? "") : "";
                JsonObject? inputOptions = spec is JsonArray { Count: > 1 } withOptions ? withOptions[1] as JsonObject : null;
                bool forceInput = inputOptions?["forceInput"] is JsonValue f && f.TryGetValue(out bool fi) && fi;
                if (WidgetTypes.Contains(inputType) && !forceInput)
                {
                    revealed.Add(($"{name}.{input}", inputOptions, inputType));
                }
            }
        }
        return revealed;
    }

    private static JsonNode? DefaultOf(JsonObject? options, string type, string name, JsonObject info)
    {
        if (options?["default"] is JsonNode value)
        {
            return value.DeepClone();
        }
        if (type == DynamicCombo && options?["options"] is JsonArray { Count: > 0 } dynamicOptions)
        {
            return dynamicOptions[0]?["key"]?.DeepClone();
        }
        if (type == "COMBO" && (info["input"]?["required"]?[name] ?? info["input"]?["optional"]?[name]) is JsonArray spec
            && (spec[0] as JsonArray ?? options?["options"] as JsonArray) is { Count: > 0 } choices)
        {
            // Classic combos list their options first; schema combos as ["COMBO", {"options": [...]}].
            return choices[0]?.DeepClone();
        }
        return null;
    }

    // Where an input's value comes from: an output (Origin, Slot), a promoted widget value (Value), or nothing (null).
    private readonly record struct Source(string? Origin, int Slot, JsonNode? Value);

    private static Source? Resolve(long linkId, Dictionary<long, (string Origin, int Slot)> links, Dictionary<string, JsonObject> nodes, string? inputType)
    {
        for (int hops = 0; hops < 1000 && links.TryGetValue(linkId, out (string Origin, int Slot) link); hops++)
        {
            if (!nodes.TryGetValue(link.Origin, out JsonObject? origin))
            {
                return null;
            }
            string type = origin["type"]?.GetValue<string>() ?? "";
            int mode = (int)(origin["mode"] is null ? 0 : Long(origin["mode"]));
            if (type == "PrimitiveNode")
            {
                // Its value is already in the target's widgets_values.
                return null;
            }
            if (type == "Reroute" || mode == 4)
            {
                // Pass through: a reroute's only input, or the bypassed node's first input of the same type.
                JsonObject? through = (origin["inputs"] as JsonArray ?? []).OfType<JsonObject>()
                    .FirstOrDefault(i => type == "Reroute" || inputType is null || i["type"]?.GetValue<string>() == inputType);
                if (TryLinkId(through?["link"], out long nextId))
                {
                    linkId = nextId;
                    continue;
                }
                return origin[UiSubgraphs.PromotedValue] is { } promoted ? new Source(null, 0, promoted) : null;
            }
            return mode == 2 ? null : new Source(link.Origin, link.Slot, null);
        }
        return null;
    }

    /// <summary>A link id from a saved input; false for none (null). Values built in memory may hold an int.</summary>
    internal static bool TryLinkId(JsonNode? node, out long id)
    {
        id = 0;
        if (node is not JsonValue value)
        {
            return false;
        }
        if (value.TryGetValue(out long l) || value.TryGetValue(out int i) && (l = i) == i)
        {
            id = l;
            return true;
        }
        if (value.TryGetValue(out double d) && d == Math.Floor(d))
        {
            id = (long)d;
            return true;
        }
        return false;
    }

    /// <summary>A number that UI files store as a JSON number or a numeric string.</summary>
    internal static long Long(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out long l) => l,
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonValue v when v.TryGetValue(out double d) => (long)d,
        JsonValue v when v.TryGetValue(out string? s) && long.TryParse(s, CultureInfo.InvariantCulture, out long p) => p,
        _ => throw new FormatException($"Expected a number, got {node?.ToJsonString() ?? "null"}."),
    };

    /// <summary>Orders node ids as the frontend numbers them: by number, flattened subgraph ids (<c>a:b</c>) segment by segment.</summary>
    private sealed class NodeIdComparer : IComparer<string>
    {
        public static readonly NodeIdComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            string[] a = (x ?? "").Split(':'), b = (y ?? "").Split(':');
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                int order = long.TryParse(a[i], CultureInfo.InvariantCulture, out long l) && long.TryParse(b[i], CultureInfo.InvariantCulture, out long r)
                    ? l.CompareTo(r)
                    : string.CompareOrdinal(a[i], b[i]);
                if (order != 0)
                {
                    return order;
                }
            }
            return a.Length.CompareTo(b.Length);
        }
    }
}
