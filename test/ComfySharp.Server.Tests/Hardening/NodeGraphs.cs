using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Builds, from a class's <c>/object_info</c> entry alone, an API-format prompt that runs it: every required
/// socket is fed by a small provider node, every widget gets its default, minimum or maximum, and every output
/// goes to <c>PreviewAny</c> (a class that is an output node stands alone). <see cref="Build"/> returns null for a
/// class whose inputs need a type no provider makes or a list the server has no entry for.
/// </summary>
internal sealed class NodeGraphs(EveryNodeGcStressTests.Widgets widgets)
{
    /// <summary>A node that makes one socket type: its id in the graph, class, inputs (which may link other providers' ids) and output.</summary>
    internal sealed record Provider(string Id, string ClassType, string Inputs, int Output = 0, params string[] Needs);

    // Provider nodes by socket type: small, so that a node's own work dominates.
    private static readonly FrozenDictionary<string, Provider> ModelFree = new Dictionary<string, Provider>(StringComparer.Ordinal)
    {
        ["IMAGE"] = new("p_IMAGE", "EmptyImage", """{"width": 24, "height": 16, "batch_size": 2, "color": 8405024}"""),
        ["MASK"] = new("p_MASK", "SolidMask", """{"value": 0.5, "width": 24, "height": 16}"""),
        ["LATENT"] = new("p_LATENT", "EmptyLatentImage", """{"width": 64, "height": 64, "batch_size": 1}"""),
        ["SIGMAS"] = new("p_SIGMAS", "KarrasScheduler", """{"steps": 4, "sigma_max": 14.614642, "sigma_min": 0.0291675, "rho": 7.0}"""),
        ["SAMPLER"] = new("p_SAMPLER", "KSamplerSelect", """{"sampler_name": "euler"}"""),
        ["NOISE"] = new("p_NOISE", "RandomNoise", """{"noise_seed": 1}"""),
        ["LATENT_OPERATION"] = new("p_LATENT_OPERATION", "LatentOperationTonemapReinhard", """{"multiplier": 1.0}"""),
        ["*"] = new("p_any", "PrimitiveString", """{"value": "any value"}"""),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private FrozenDictionary<string, Provider> _providers = ModelFree;

    private FrozenDictionary<string, JsonNode> _overrides = FrozenDictionary<string, JsonNode>.Empty;

    private FrozenDictionary<string, Consumer> _consumers = FrozenDictionary<string, Consumer>.Empty;

    /// <summary>A node that uses an output of one socket type (linked to <paramref name="Slot"/>), so that what a class makes is also used.</summary>
    internal sealed record Consumer(string ClassType, string Slot, string Inputs, params string[] Needs);

    /// <summary>
    /// The same builder with more socket types provided (e.g. MODEL, CLIP and VAE from a checkpoint loader) and
    /// widgets whose value is fixed by name whatever the mode (e.g. a sampler's <c>steps</c>).
    /// </summary>
    public NodeGraphs With(IReadOnlyDictionary<string, Provider> more, IReadOnlyDictionary<string, JsonNode> overrides,
        IReadOnlyDictionary<string, Consumer> consumers) => new(widgets)
    {
        _providers = _providers.Concat(more).ToFrozenDictionary(StringComparer.Ordinal),
        _overrides = overrides.ToFrozenDictionary(StringComparer.Ordinal),
        _consumers = consumers.ToFrozenDictionary(StringComparer.Ordinal),
    };

    public JsonObject? Build(string classType, JsonObject info)
    {
        var graph = new JsonObject();
        var inputs = new JsonObject();
        foreach ((string name, JsonNode? spec) in info["input"]?["required"]?.AsObject() ?? [])
        {
            JsonNode? value = _overrides.TryGetValue(name, out JsonNode? fixedValue) && spec![0] is JsonValue
                ? fixedValue.DeepClone() : InputValue(graph, (JsonArray)spec!);
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
                var source = new JsonArray("target", k);
                if (info["output"]![k] is JsonValue type && _consumers.TryGetValue((string)type!, out Consumer? consumer))
                {
                    foreach (string need in consumer.Needs)
                    {
                        Provide(graph, need);
                    }
                    var consumerInputs = (JsonObject)JsonNode.Parse(consumer.Inputs)!;
                    consumerInputs[consumer.Slot] = source;
                    graph[$"use{k}"] = new JsonObject { ["class_type"] = consumer.ClassType, ["inputs"] = consumerInputs };
                    source = new JsonArray($"use{k}", 0);
                }
                graph[$"show{k}"] = new JsonObject { ["class_type"] = "PreviewAny", ["inputs"] = new JsonObject { ["source"] = source } };
            }
        }
        return graph;
    }

    private JsonNode? InputValue(JsonObject graph, JsonArray spec)
    {
        JsonObject options = spec.Count > 1 && spec[1] is JsonObject o ? o : [];
        if (spec[0] is JsonArray list)
        {
            return Pick(list);
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
                return options["options"] is JsonArray choices ? Pick(choices) : null;
        }
        return Provide(graph, type) is { } provider ? new JsonArray(provider.Id, provider.Output) : null;
    }

    /// <summary>Adds the provider of <paramref name="type"/> (and the providers it links) to the graph.</summary>
    private Provider? Provide(JsonObject graph, string type)
    {
        if (!_providers.TryGetValue(type, out Provider? provider))
        {
            return null;
        }
        foreach (string need in provider.Needs)
        {
            Provide(graph, need);
        }
        graph[provider.Id] ??= new JsonObject { ["class_type"] = provider.ClassType, ["inputs"] = JsonNode.Parse(provider.Inputs) };
        return provider;
    }

    private JsonNode? Pick(JsonArray choices) => choices.Count == 0
        ? null
        : (widgets == EveryNodeGcStressTests.Widgets.Maximum ? choices[^1] : choices[0])!.DeepClone();
}
