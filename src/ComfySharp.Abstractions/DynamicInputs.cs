using System.Text.Json.Nodes;

namespace ComfySharp.Abstractions;

/// <summary>
/// A V3 dynamic input: one declaration that stands for concrete inputs chosen per prompt node. The
/// frontend sends them under dotted names (<c>images.image0</c>, <c>resize_type.width</c>); validation
/// and execution see those concrete inputs (<see cref="NodeSchema.ExpandInputs"/>, <see cref="NodeSchema.FindInput"/>).
/// </summary>
public abstract class DynamicInput : InputSpec
{
    /// <summary>Creates the declaration.</summary>
    protected DynamicInput(string name) : base(name) { }

    /// <summary>The concrete inputs for a node's submitted inputs, each with its full name and whether it is required.</summary>
    public abstract IEnumerable<(InputSpec Spec, bool Required)> Expand(JsonObject liveInputs);

    /// <summary>The concrete input a full name stands for, or null.</summary>
    public abstract InputSpec? FindExpanded(string name);

    /// <inheritdoc />
    public override object? ConvertUntyped(object? value) => value;
}

/// <summary>
/// <c>COMFY_AUTOGROW_V3</c> with a prefix template: sockets named <c>{name}.{prefix}0</c> … <c>{name}.{prefix}{max−1}</c>,
/// the first <see cref="Min"/> of them required.
/// </summary>
public abstract class AutogrowInput : DynamicInput
{
    /// <summary>Declares the input.</summary>
    protected AutogrowInput(string name, string prefix, int min, int max, InputSpec template) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(min);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Prefix = prefix;
        Min = min;
        Max = max;
        Template = template;
    }

    /// <inheritdoc />
    public override string Type => "COMFY_AUTOGROW_V3";

    /// <summary>The name stem of the grown sockets.</summary>
    public string Prefix { get; }

    /// <summary>How many sockets are required.</summary>
    public int Min { get; }

    /// <summary>How many sockets there may be.</summary>
    public int Max { get; }

    /// <summary>The template socket as served in <c>/object_info</c> (named like the prefix).</summary>
    public InputSpec Template { get; }
}

/// <summary>An <see cref="AutogrowInput"/> of sockets with values of type <typeparamref name="T"/>; the node reads the connected ones in index order.</summary>
public sealed class AutogrowInput<T> : AutogrowInput
{
    private readonly Input<T>[] _slots;

    /// <summary>Declares the input; <paramref name="template"/> makes the template socket for a given name.</summary>
    public AutogrowInput(string name, string prefix, int min, int max, Func<string, Input<T>> template)
        : base(name, prefix, min, max, (template ?? throw new ArgumentNullException(nameof(template)))(prefix)) =>
        _slots = Enumerable.Range(0, max).Select(i => template($"{name}.{prefix}{i}")).ToArray();

    /// <summary>Every possible socket, in index order.</summary>
    public IReadOnlyList<Input<T>> Slots => _slots;

    /// <inheritdoc />
    public override IEnumerable<(InputSpec Spec, bool Required)> Expand(JsonObject liveInputs) =>
        _slots.Select((slot, i) => ((InputSpec)slot, i < Min));

    /// <inheritdoc />
    public override InputSpec? FindExpanded(string name) => Array.Find(_slots, s => s.Name == name);

    /// <summary>The values of the connected sockets in index order (unconnected and null ones skipped).</summary>
    public IReadOnlyList<T> Values(NodeInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return _slots.Where(inputs.HasValue).Select(inputs.Get).ToList();
    }
}

/// <summary>One choice of a <see cref="DynamicComboInput"/> and the inputs it reveals (declared with full dotted names).</summary>
/// <param name="Key">The option as shown in the combo.</param>
/// <param name="Inputs">The inputs it reveals, all required, named <c>{combo}.{input}</c>.</param>
public sealed record DynamicComboOption(string Key, IReadOnlyList<InputSpec> Inputs);

/// <summary>
/// <c>COMFY_DYNAMICCOMBO_V3</c>: a combo whose chosen option reveals further inputs, sent as
/// <c>{name}.{input}</c>. The combo's own value is sent under its name.
/// </summary>
public sealed class DynamicComboInput : DynamicInput
{
    private readonly ComboInput _selector;

    /// <summary>Declares the combo and its options.</summary>
    public DynamicComboInput(string name, IReadOnlyList<DynamicComboOption> options) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _selector = new ComboInput(name, options.Select(o => o.Key).ToList());
        foreach (var input in options.SelectMany(o => o.Inputs))
        {
            if (!input.Name.StartsWith(name + ".", StringComparison.Ordinal))
            {
                throw new ArgumentException($"The input '{input.Name}' of the dynamic combo '{name}' must be named '{name}.<input>'.", nameof(options));
            }
        }
    }

    /// <inheritdoc />
    public override string Type => "COMFY_DYNAMICCOMBO_V3";

    /// <summary>The options in order.</summary>
    public IReadOnlyList<DynamicComboOption> Options { get; }

    /// <summary>The short name of a revealed input as served (<c>width</c> for <c>resize_type.width</c>).</summary>
    public string ShortName(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Name[(Name.Length + 1)..];
    }

    /// <inheritdoc />
    public override IEnumerable<(InputSpec Spec, bool Required)> Expand(JsonObject liveInputs)
    {
        ArgumentNullException.ThrowIfNull(liveInputs);
        yield return (_selector, true);
        string? chosen = liveInputs[Name] is JsonValue value && value.TryGetValue(out string? key) ? key : null;
        DynamicComboOption? option = Options.FirstOrDefault(o => o.Key == chosen);
        foreach (var input in option?.Inputs ?? [])
        {
            yield return (input, true);
        }
    }

    /// <inheritdoc />
    public override InputSpec? FindExpanded(string name) =>
        Options.SelectMany(o => o.Inputs).FirstOrDefault(i => i.Name == name);

    /// <summary>The chosen option's key.</summary>
    public string Selected(NodeInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.Raw.TryGetValue(Name, out object? value) && value is string key
            ? key
            : throw new ArgumentException($"Input '{Name}' must name one of its options.");
    }
}
