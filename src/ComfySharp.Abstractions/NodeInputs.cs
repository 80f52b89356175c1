namespace ComfySharp.Abstractions;

/// <summary>
/// The values handed to one call of a node, read through the node's typed input declarations. For
/// ordinary nodes each input holds one element of the (list-mapped) input; for
/// <see cref="NodeSchema.InputIsList"/> nodes each input holds its whole list
/// (<see cref="GetList{T}(Input{T})"/>). Lazy inputs that have not been evaluated read as null.
/// </summary>
public sealed class NodeInputs
{
    private readonly IReadOnlyDictionary<string, object?> _values;

    /// <summary>Creates the inputs of one call. Used by the executor and by tests.</summary>
    public NodeInputs(IReadOnlyDictionary<string, object?> values) => _values = values;

    /// <summary>An empty set of inputs.</summary>
    public static NodeInputs Empty { get; } = new(new Dictionary<string, object?>());

    /// <summary>Names present in this call (declared inputs that were given, and undeclared linked inputs).</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Every raw value by name (for variadic nodes that accept undeclared linked inputs).</summary>
    public IReadOnlyDictionary<string, object?> Raw => _values;

    /// <summary>True when the input was given (a widget value or a link, evaluated or not).</summary>
    public bool Has(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _values.ContainsKey(input.Name);
    }

    /// <summary>True when the input was given and its value is not null (e.g. a lazy input already evaluated).</summary>
    public bool HasValue(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _values.TryGetValue(input.Name, out object? v) && v is not null;
    }

    /// <summary>The value of a required input (throws when it is absent).</summary>
    public T Get<T>(Input<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_values.TryGetValue(input.Name, out object? value))
        {
            throw new KeyNotFoundException($"Input '{input.Name}' was not given.");
        }
        return input.Convert(value);
    }

    /// <summary>The value of an optional input, or <paramref name="fallback"/> when absent or null.</summary>
    public T GetOrDefault<T>(Input<T> input, T fallback)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _values.TryGetValue(input.Name, out object? value) && value is not null ? input.Convert(value) : fallback;
    }

    /// <summary>An INT input read as an unsigned 64-bit number (seeds).</summary>
    public ulong GetUnsigned(IntInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.ConvertUnsigned(_values[input.Name]);
    }

    /// <summary>For <see cref="NodeSchema.InputIsList"/> nodes: the whole list of an input (empty when absent).</summary>
    public IReadOnlyList<T> GetList<T>(Input<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_values.TryGetValue(input.Name, out object? value) || value is null)
        {
            return [];
        }
        if (value is IReadOnlyList<object?> list)
        {
            return list.Select(input.Convert).ToList();
        }
        throw new InvalidCastException($"Input '{input.Name}' is not a list; is the node declared InputIsList?");
    }
}
