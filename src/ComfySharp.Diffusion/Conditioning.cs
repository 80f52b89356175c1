using static TorchSharp.torch;

namespace ComfySharp.Diffusion;

/// <summary>
/// One CONDITIONING entry: a cross-attention embedding [1, tokens, dim] and its options (NODES.md §2).
/// Options use the reference's key names: <c>pooled_output</c> (Tensor), <c>area</c>, <c>strength</c>
/// (double), <c>set_area_to_bounds</c> (bool), <c>mask</c> (Tensor), <c>mask_strength</c>,
/// <c>start_percent</c>, <c>end_percent</c>, ...
/// </summary>
/// <param name="Embedding">The cross-attention embedding.</param>
/// <param name="Options">The options.</param>
public sealed record ConditioningEntry(Tensor Embedding, IReadOnlyDictionary<string, object?> Options)
{
    /// <summary>A copy with one option set.</summary>
    public ConditioningEntry With(string key, object? value)
    {
        var copy = new Dictionary<string, object?>(Options, StringComparer.Ordinal) { [key] = value };
        return this with { Options = copy };
    }

    /// <summary>An option or null.</summary>
    public object? Get(string key) => Options.TryGetValue(key, out object? v) ? v : null;
}

/// <summary>The CONDITIONING value: a list of entries.</summary>
public sealed class Conditioning : List<ConditioningEntry>
{
    /// <summary>An empty list.</summary>
    public Conditioning() { }

    /// <summary>A list of the given entries.</summary>
    public Conditioning(IEnumerable<ConditioningEntry> entries) : base(entries) { }

    /// <inheritdoc />
    public override string ToString() => $"Conditioning({Count} entries)";
}
