using System.Text.Json.Nodes;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Builds, from a class's <c>/object_info</c> entry alone, an API-format prompt that runs it: every required
/// socket is fed by a small provider node, every widget gets its default, minimum or maximum, and every output
/// goes to <c>PreviewAny</c> (a class that is an output node stands alone). Returns null for a class whose
/// inputs need a model file or a list the server has no entry for.
/// </summary>
internal static class NodeGraphs
{
    // Provider nodes by socket type: small, so that a node's own work dominates.
    private static readonly Dictionary<string, (string ClassType, string Inputs)> Providers = new(StringComparer.Ordinal)
    {
        ["IMAGE"] = ("EmptyImage", """{"width": 24, "height": 16, "batch_size": 2, "color": 8405024}"""),
        ["MASK"] = ("SolidMask", """{"value": 0.5, "width": 24, "height": 16}"""),
        ["LATENT"] = ("EmptyLatentImage", """{"width": 64, "height": 64, "batch_size": 1}"""),
        ["SIGMAS"] = ("KarrasScheduler", """{"steps": 4, "sigma_max": 14.614642, "sigma_min": 0.0291675, "rho": 7.0}"""),
        ["SAMPLER"] = ("KSamplerSelect", """{"sampler_name": "euler"}"""),
        ["NOISE"] = ("RandomNoise", """{"noise_seed": 1}"""),
        ["LATENT_OPERATION"] = ("LatentOperationTonemapReinhard", """{"multiplier": 1.0}"""),
        ["*"] = ("PrimitiveString", """{"value": "any value"}"""),
    };

    public static JsonObject? Build(string classType, JsonObject info, EveryNodeGcStressTests.Widgets widgets)
    {
        var graph = new JsonObject();
        var inputs = new JsonObject();
        foreach ((string name, JsonNode? spec) in info["input"]?["required"]?.AsObject() ?? [])
        {
            JsonNode? value = InputValue(graph, (JsonArray)spec!, widgets);
            if (value is null)
            {
                return null;
            }
            inputs[name] = value;
        }
        graph["target"] = new JsonObject { ["class_type"] = classType, ["inputs"] = inputs };
        int outputs = info["output"]?.AsArray().Count ?? 0;
        if (info["output_node"]?.GetValue<bool>() != true)
        {
            if (outputs == 0)
            {
                return null;
            }
            for (int k = 0; k < outputs; k++)
            {
                graph[$"show{k}"] = new JsonObject { ["class_type"] = "PreviewAny", ["inputs"] = new JsonObject { ["source"] = new JsonArray("target", k) } };
            }
        }
        return graph;
    }

    private static JsonNode? InputValue(JsonObject graph, JsonArray spec, EveryNodeGcStressTests.Widgets widgets)
    {
        JsonObject options = spec.Count > 1 && spec[1] is JsonObject o ? o : [];
        if (spec[0] is JsonArray list)
        {
            return Pick(list, widgets);
        }
        string type = (string)spec[0]!;
        switch (type)
        {
            case "INT" or "FLOAT":
                return (widgets switch
                {
                    EveryNodeGcStressTests.Widgets.Minimum => options["min"],
                    EveryNodeGcStressTests.Widgets.Maximum => options["max"],
                    _ => null,
                } ?? options["default"] ?? JsonValue.Create(0))!.DeepClone();
            case "BOOLEAN":
                return widgets switch
                {
                    EveryNodeGcStressTests.Widgets.Minimum => false,
                    EveryNodeGcStressTests.Widgets.Maximum => true,
                    _ => options["default"]?.DeepClone() ?? false,
                };
            case "STRING":
                return options["default"]?.DeepClone() is JsonNode text && (string?)text != "" ? text : "a red fox, 1, 2.5";
            case "COMBO":
                return options["options"] is JsonArray choices ? Pick(choices, widgets) : null;
        }
        if (!Providers.TryGetValue(type, out var provider))
        {
            return null;
        }
        string id = "p_" + type.Replace("*", "any", StringComparison.Ordinal);
        graph[id] ??= new JsonObject { ["class_type"] = provider.ClassType, ["inputs"] = JsonNode.Parse(provider.Inputs) };
        return new JsonArray(id, 0);
    }

    private static JsonNode? Pick(JsonArray choices, EveryNodeGcStressTests.Widgets widgets) => choices.Count == 0
        ? null
        : (widgets == EveryNodeGcStressTests.Widgets.Maximum ? choices[^1] : choices[0])!.DeepClone();
}
