using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Validation;

namespace ComfySharp.Server;

/// <summary>Validates submitted prompts for <c>POST /prompt</c>; replaceable in tests.</summary>
public interface IPromptChecker
{
    /// <summary>Validates (and coerces in place) a prompt.</summary>
    ValueTask<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? partialExecutionTargets, CancellationToken cancellationToken);
}

/// <summary>The production checker: the engine's <see cref="PromptValidator"/>.</summary>
/// <param name="validator">The validator.</param>
public sealed class ValidatorChecker(PromptValidator validator) : IPromptChecker
{
    /// <inheritdoc />
    public ValueTask<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? partialExecutionTargets, CancellationToken cancellationToken) =>
        validator.ValidateAsync(prompt, partialExecutionTargets, cancellationToken);
}

/// <summary>Produces the <c>/object_info</c> catalogue (NODES.md); file lists are recomputed per call.</summary>
public interface IObjectInfoSource
{
    /// <summary>Every node, keyed by class, in registration order.</summary>
    JsonObject All();

    /// <summary>One node's entry, or null for an unknown class.</summary>
    JsonNode? One(string classType);
}

/// <summary>
/// Builds <c>/object_info</c> through a delegate over the registry (the engine's serializer, plugged
/// in by the host), falling back to a minimal description until one is supplied.
/// </summary>
/// <param name="registry">Registered nodes.</param>
/// <param name="services">Services for dynamic option lists.</param>
/// <param name="build">Serializer of the whole registry, or null.</param>
public sealed class RegistryObjectInfo(NodeRegistry registry, IServiceProvider services, Func<NodeRegistry, IServiceProvider, JsonObject>? build) : IObjectInfoSource
{
    /// <inheritdoc />
    public JsonObject All() => build is not null ? build(registry, services) : Minimal();

    /// <inheritdoc />
    public JsonNode? One(string classType)
    {
        if (!registry.Contains(classType))
        {
            return null;
        }
        return All()[classType]?.DeepClone();
    }

    private JsonObject Minimal()
    {
        var all = new JsonObject();
        foreach (NodeRegistration node in registry.All)
        {
            NodeSchema s = node.Schema;
            all[s.ClassType] = new JsonObject
            {
                ["input"] = new JsonObject { ["required"] = new JsonObject() },
                ["input_order"] = new JsonObject { ["required"] = new JsonArray() },
                ["output"] = new JsonArray(s.Outputs.Select(o => (JsonNode?)JsonValue.Create(o.Type)).ToArray()),
                ["output_is_list"] = new JsonArray(s.Outputs.Select(o => (JsonNode?)JsonValue.Create(o.IsList)).ToArray()),
                ["output_name"] = new JsonArray(s.Outputs.Select(o => (JsonNode?)JsonValue.Create(o.DisplayName)).ToArray()),
                ["name"] = s.ClassType,
                ["display_name"] = s.DisplayName ?? s.ClassType,
                ["description"] = s.Description,
                ["python_module"] = s.PythonModule,
                ["category"] = s.Category,
                ["output_node"] = s.OutputNode,
            };
        }
        return all;
    }
}
