using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Schema;

/// <summary>
/// Serialises node schemas into the <c>/object_info</c> JSON of NODES.md §1 (classic and schema
/// flavours, exact key order). Dynamic option lists are recomputed on every call.
/// </summary>
public static class ObjectInfo
{
    /// <summary>Every registered node, in registration order: <c>{"&lt;class&gt;": definition, ...}</c>.</summary>
    public static JsonObject Build(NodeRegistry registry, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var all = new JsonObject();
        foreach (var registration in registry.All)
        {
            all[registration.Schema.ClassType] = Definition(registration.Schema, services);
        }
        return all;
    }

    /// <summary>One node wrapped as <c>{"&lt;class&gt;": definition}</c>, or <c>{}</c> when the class is unknown.</summary>
    public static JsonObject BuildOne(NodeRegistry registry, string classType, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.TryGet(classType, out var registration)
            ? new JsonObject { [classType] = Definition(registration.Schema, services) }
            : [];
    }

    /// <summary>The definition object of one node.</summary>
    public static JsonObject Definition(NodeSchema schema, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(schema);
        bool isSchema = schema.Flavor == NodeFlavor.Schema;
        var input = new JsonObject();
        var order = new JsonObject();
        var required = new JsonObject();
        foreach (var spec in schema.Required) { required[spec.Name] = ServedSpec(spec, schema.Flavor, services); }
        input["required"] = required;
        order["required"] = new JsonArray(schema.Required.Select(s => (JsonNode?)s.Name).ToArray());
        if (schema.Optional.Count > 0)
        {
            var optional = new JsonObject();
            foreach (var spec in schema.Optional) { optional[spec.Name] = ServedSpec(spec, schema.Flavor, services); }
            input["optional"] = optional;
            order["optional"] = new JsonArray(schema.Optional.Select(s => (JsonNode?)s.Name).ToArray());
        }
        if (schema.Hidden.Count > 0)
        {
            var hidden = new JsonObject();
            foreach (var h in schema.Hidden)
            {
                hidden[h.Name] = h.PassThroughType is { } passType ? new JsonArray(passType)
                    : isSchema ? new JsonArray(h.Kind.ToString()) : JsonValue.Create(h.Kind.ToString());
            }
            input["hidden"] = hidden;
            order["hidden"] = new JsonArray(schema.Hidden.Select(s => (JsonNode?)s.Name).ToArray());
        }

        var definition = new JsonObject
        {
            ["input"] = input,
            ["input_order"] = order,
            ["output"] = new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.Type).ToArray()),
            ["output_is_list"] = new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.IsList).ToArray()),
            ["output_name"] = new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.DisplayName).ToArray()),
        };
        if (isSchema)
        {
            definition["output_tooltips"] = new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.Tooltip).ToArray());
            definition["output_matchtypes"] = schema.Outputs.Any(o => o.MatchType is not null)
                ? new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.MatchType).ToArray())
                : null;
        }
        definition["name"] = schema.ClassType;
        definition["display_name"] = schema.DisplayName ?? (isSchema ? null : schema.ClassType);
        definition["description"] = schema.Description;
        definition["python_module"] = schema.PythonModule;
        definition["category"] = schema.Category;
        definition["output_node"] = schema.OutputNode;
        if (isSchema)
        {
            definition["deprecated"] = schema.Deprecated;
            definition["experimental"] = schema.Experimental;
            definition["api_node"] = schema.ApiNode ?? false;
        }
        else
        {
            if (schema.HasOutputTooltips)
            {
                definition["output_tooltips"] = new JsonArray(schema.Outputs.Select(o => (JsonNode?)o.Tooltip).ToArray());
            }
            if (schema.Deprecated) { definition["deprecated"] = true; }
            if (schema.Experimental) { definition["experimental"] = true; }
            if (schema.ApiNode is { } api) { definition["api_node"] = api; }
        }
        return definition;
    }

    /// <summary>The input spec as served: one element for classic inputs without options (when declared so), else two.</summary>
    public static JsonArray ServedSpec(InputSpec spec, NodeFlavor flavor, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (type, options) = Parts(spec, flavor, services);
        if (flavor == NodeFlavor.Classic && spec.OneElementSpec && options.Count == 0)
        {
            return new JsonArray(type);
        }
        return new JsonArray(type, options);
    }

    /// <summary>The declared input spec as validation errors show it (<c>input_config</c>): always <c>[type, options]</c>.</summary>
    public static JsonArray InputConfig(InputSpec spec, NodeFlavor flavor, IServiceProvider services)
    {
        var (type, options) = Parts(spec, flavor, services);
        return new JsonArray(type, options);
    }

    /// <summary>The type element and the options object of an input spec.</summary>
    public static (JsonNode Type, JsonObject Options) Parts(InputSpec spec, NodeFlavor flavor, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var written = new JsonObject();
        spec.WriteOptions(written, services);
        PythonFloats(written);
        if (flavor == NodeFlavor.Classic)
        {
            JsonNode classicType = spec is ComboInput combo
                ? new JsonArray(combo.GetOptions(services).Select(o => (JsonNode?)o).ToArray())
                : JsonValue.Create(spec.Type);
            return (classicType, written);
        }

        // Schema nodes put display_name and tooltip first; combos carry multiselect and options after the default.
        var options = new JsonObject();
        Move(written, options, "display_name");
        Move(written, options, "tooltip");
        if (spec is ComboInput schemaCombo)
        {
            Move(written, options, "default");
            options["multiselect"] = false;
            options["options"] = new JsonArray(schemaCombo.GetOptions(services).Select(o => (JsonNode?)o).ToArray());
        }
        foreach (var key in written.Select(kv => kv.Key).ToList())
        {
            Move(written, options, key);
        }
        if (spec is AutogrowInput grow)
        {
            options["template"] = new JsonObject
            {
                ["input"] = new JsonObject { ["required"] = new JsonObject { [grow.Template.Name] = ServedSpec(grow.Template, NodeFlavor.Schema, services) } },
                ["prefix"] = grow.Prefix,
                ["min"] = grow.Min,
                ["max"] = grow.Max,
            };
        }
        else if (spec is DynamicComboInput dynamicCombo)
        {
            options["options"] = new JsonArray(dynamicCombo.Options.Select(option =>
            {
                var required = new JsonObject();
                foreach (var input in option.Inputs)
                {
                    required[dynamicCombo.ShortName(input)] = ServedSpec(input, NodeFlavor.Schema, services);
                }
                return (JsonNode?)new JsonObject { ["key"] = option.Key, ["inputs"] = new JsonObject { ["required"] = required } };
            }).ToArray());
        }
        return (JsonValue.Create(spec.Type), options);
    }

    private static void Move(JsonObject from, JsonObject to, string key)
    {
        if (from.TryGetPropertyValue(key, out var value))
        {
            from.Remove(key);
            to[key] = value;
        }
    }

    /// <summary>Rewrites floating-point option values so they print as Python does (<c>0.0</c>, <c>1e+38</c>).</summary>
    private static void PythonFloats(JsonObject options)
    {
        foreach (var key in options.Select(kv => kv.Key).ToList())
        {
            if (options[key] is JsonValue value && value.TryGetValue<double>(out double d) && !value.TryGetValue<System.Text.Json.JsonElement>(out _))
            {
                options[key] = Py.FloatNode(d);
            }
        }
    }
}
