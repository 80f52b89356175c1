using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Schema;
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

/// <summary>The engine's <c>/object_info</c> serializer over the server's registry.</summary>
/// <param name="registry">Registered nodes.</param>
/// <param name="services">Services for dynamic option lists (recomputed per call).</param>
public sealed class RegistryObjectInfo(NodeRegistry registry, IServiceProvider services) : IObjectInfoSource
{
    /// <inheritdoc />
    public JsonObject All() => ObjectInfo.Build(registry, services);

    /// <inheritdoc />
    public JsonNode? One(string classType) => ObjectInfo.BuildOne(registry, classType, services)[classType]?.DeepClone();
}
