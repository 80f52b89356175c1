namespace ComfySharp.Abstractions;

/// <summary>The outcome of a node's custom input validation.</summary>
/// <param name="IsValid">True when valid.</param>
/// <param name="Reason">Reason shown when invalid (may be null).</param>
public readonly record struct ValidationResult(bool IsValid, string? Reason = null)
{
    /// <summary>Valid.</summary>
    public static ValidationResult Ok => new(true);
    /// <summary>Invalid with an optional reason.</summary>
    public static ValidationResult Fail(string? reason = null) => new(false, reason);
}

/// <summary>
/// A node class. One class per <c>class_type</c>, named exactly like it, with a static typed schema.
/// Instances are kept by the object cache between runs (keyed by node id and class), so a node may
/// keep state in fields; it must not keep state in statics.
/// </summary>
public abstract class ComfyNode
{
    /// <summary>The node's schema (return a static instance).</summary>
    public abstract NodeSchema Schema { get; }

    /// <summary>Runs one call of the node (EXECUTION.md §7).</summary>
    public abstract ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context);

    /// <summary>True when the node overrides <see cref="CheckLazyStatusAsync"/>.</summary>
    public virtual bool HasLazyStatusCheck => false;

    /// <summary>
    /// For nodes with lazy inputs: the names of inputs still needed, given the inputs evaluated so far
    /// (unevaluated lazy inputs read as null). Empty when the node can run.
    /// </summary>
    public virtual ValueTask<IReadOnlyList<string>> CheckLazyStatusAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult<IReadOnlyList<string>>([]);

    /// <summary>True when the node overrides <see cref="FingerprintInputsAsync"/> (the reference's IS_CHANGED).</summary>
    public virtual bool HasFingerprint => false;

    /// <summary>
    /// A value that changes when the node must re-run although its inputs did not (a file's hash).
    /// Called with constant inputs only (linked inputs read as null). JSON primitives, strings and
    /// <see cref="System.Text.Json.Nodes.JsonNode"/>s compare by value; <see cref="double.NaN"/> never equals itself.
    /// </summary>
    public virtual ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services) =>
        ValueTask.FromResult<object?>(null);

    /// <summary>
    /// Custom validation (VALIDATE_INPUTS), declared by <see cref="NodeSchema.Validation"/>. Receives
    /// the constant values of the declared parameters (linked inputs are null) and, when requested,
    /// the received types of linked inputs.
    /// </summary>
    public virtual ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        ValueTask.FromResult(ValidationResult.Ok);
}
