using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Validation;

/// <summary>
/// Validates a submitted prompt exactly as the reference does (EXECUTION.md §2–§4): structural checks,
/// output selection, per-input checks, custom validation, and in-place coercion of widget values.
/// </summary>
public sealed class PromptValidator
{
    private readonly NodeRegistry _registry;
    private readonly IServiceProvider _services;

    /// <summary>Creates a validator over a registry. <paramref name="services"/> reaches dynamic option lists and files.</summary>
    public PromptValidator(NodeRegistry registry, IServiceProvider services)
    {
        _registry = registry;
        _services = services;
    }

    /// <summary>
    /// Validates <paramref name="prompt"/> (mutating it: coerced values replace submitted ones).
    /// <paramref name="partialExecutionTargets"/> restricts the selected outputs when not null.
    /// </summary>
    public ValueTask<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? partialExecutionTargets, CancellationToken cancellationToken)
    {
        _ = (_registry, _services, prompt, partialExecutionTargets, cancellationToken);
        throw new NotImplementedException("Validation lands with the execution engine (issue 3).");
    }
}
