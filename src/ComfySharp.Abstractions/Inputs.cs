using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;

namespace ComfySharp.Abstractions;

/// <summary>
/// One declared input of a node: its name, wire type and options. Node classes declare their inputs
/// as static fields and read values through them (<see cref="NodeInputs.Get{T}(Input{T})"/>), so node
/// code never looks inputs up by string.
/// </summary>
public abstract class InputSpec
{
    /// <summary>Creates an input declaration.</summary>
    protected InputSpec(string name) => Name = name;

    /// <summary>The input's name on the wire (key in the prompt's <c>inputs</c>).</summary>
    public string Name { get; }

    /// <summary>The declared type string used for link type checks and coercion ("INT", "IMAGE", "COMBO", "IMAGE,FLOAT", "*").</summary>
    public abstract string Type { get; }

    /// <summary>Help text shown by the UI.</summary>
    public string? Tooltip { get; init; }

    /// <summary>Lazily evaluated (EXECUTION.md §8).</summary>
    public bool Lazy { get; init; }

    /// <summary>Shown as a socket rather than a widget.</summary>
    public bool ForceInput { get; init; }

    /// <summary>The node receives the link array itself rather than its value.</summary>
    public bool RawLink { get; init; }

    /// <summary>Display label for schema nodes.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Options not modelled by a typed property, appended verbatim after the typed ones.</summary>
    public JsonObject? ExtraOptions { get; init; }

    /// <summary>
    /// Classic nodes serve socket inputs without options as a one-element array (<c>["LATENT"]</c>).
    /// When true and no option is set, the spec is written that way.
    /// </summary>
    public bool OneElementSpec { get; init; }

    /// <summary>
    /// Writes the options object in the reference's key order. <paramref name="services"/> lets
    /// dynamic option lists (file names) be recomputed per request.
    /// </summary>
    public virtual void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Tooltip is not null) { options["tooltip"] = Tooltip; }
        if (ForceInput) { options["forceInput"] = true; }
        if (Lazy) { options["lazy"] = true; }
        if (RawLink) { options["rawLink"] = true; }
        if (DisplayName is not null) { options["display_name"] = DisplayName; }
        if (ExtraOptions is not null)
        {
            foreach (var (key, value) in ExtraOptions)
            {
                options[key] = value?.DeepClone();
            }
        }
    }

    /// <summary>Converts a runtime value (as gathered by the executor) to the input's CLR value.</summary>
    public abstract object? ConvertUntyped(object? value);
}

/// <summary>An input whose runtime values are of CLR type <typeparamref name="T"/>.</summary>
public abstract class Input<T> : InputSpec
{
    /// <summary>Creates an input declaration.</summary>
    protected Input(string name) : base(name) { }

    /// <summary>Converts a runtime value to <typeparamref name="T"/>.</summary>
    public virtual T Convert(object? value) => value is T t ? t : throw new InvalidCastException(
        $"Input '{Name}' expected {typeof(T).Name} but received {value?.GetType().Name ?? "null"}.");

    /// <inheritdoc />
    public override object? ConvertUntyped(object? value) => Convert(value);
}

/// <summary>A socket input of any non-widget type (IMAGE, MODEL, ...), value type chosen by the node author.</summary>
public sealed class SocketInput<T> : Input<T>
{
    /// <summary>Declares a socket input of wire type <paramref name="type"/>.</summary>
    public SocketInput(string name, string type) : base(name) => Type = type;

    /// <inheritdoc />
    public override string Type { get; }
}

/// <summary>INT widget. Runtime values are <see cref="long"/> (or <see cref="ulong"/>/<see cref="BigInteger"/> beyond it).</summary>
public sealed class IntInput : Input<long>
{
    /// <summary>Declares an INT input.</summary>
    public IntInput(string name) : base(name) { }

    /// <inheritdoc />
    public override string Type => IOTypes.INT;

    /// <summary>Initial widget value.</summary>
    public BigInteger? Default { get; init; }
    /// <summary>Minimum, enforced by validation.</summary>
    public BigInteger? Min { get; init; }
    /// <summary>Maximum, enforced by validation.</summary>
    public BigInteger? Max { get; init; }
    /// <summary>UI increment.</summary>
    public BigInteger? Step { get; init; }
    /// <summary>Widget style: "number", "slider", "color".</summary>
    public string? Display { get; init; }
    /// <summary>The UI adds a fixed/increment/decrement/randomize companion widget.</summary>
    public bool ControlAfterGenerate { get; init; }

    /// <inheritdoc />
    public override void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Default is { } d) { options["default"] = JsonNumbers.Integer(d); }
        if (Min is { } min) { options["min"] = JsonNumbers.Integer(min); }
        if (Max is { } max) { options["max"] = JsonNumbers.Integer(max); }
        if (Step is { } step) { options["step"] = JsonNumbers.Integer(step); }
        if (Display is not null) { options["display"] = Display; }
        if (ControlAfterGenerate) { options["control_after_generate"] = true; }
        base.WriteOptions(options, services);
    }

    /// <inheritdoc />
    public override long Convert(object? value) => value switch
    {
        long l => l,
        int i => i,
        ulong u => unchecked((long)u),
        BigInteger b => (long)b,
        double d => (long)d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException($"Input '{Name}' expected INT but received {value?.GetType().Name ?? "null"}."),
    };

    /// <summary>The value as an unsigned 64-bit number (seeds): negative values wrap as the reference's numpy/torch do.</summary>
    public ulong ConvertUnsigned(object? value) => value switch
    {
        ulong u => u,
        long l => unchecked((ulong)l),
        BigInteger b => (ulong)(b & ulong.MaxValue),
        _ => unchecked((ulong)Convert(value)),
    };
}

/// <summary>FLOAT widget. Runtime values are <see cref="double"/>.</summary>
public sealed class FloatInput : Input<double>
{
    /// <summary>Declares a FLOAT input.</summary>
    public FloatInput(string name) : base(name) { }

    /// <inheritdoc />
    public override string Type => IOTypes.FLOAT;
    /// <summary>Initial widget value.</summary>
    public double? Default { get; init; }
    /// <summary>Minimum, enforced by validation.</summary>
    public double? Min { get; init; }
    /// <summary>Maximum, enforced by validation.</summary>
    public double? Max { get; init; }
    /// <summary>UI increment.</summary>
    public double? Step { get; init; }
    /// <summary>UI rounding precision; <c>false</c> is written when <see cref="RoundDisabled"/> is set.</summary>
    public double? Round { get; init; }
    /// <summary>Writes <c>"round": false</c>.</summary>
    public bool RoundDisabled { get; init; }
    /// <summary>Widget style.</summary>
    public string? Display { get; init; }

    /// <inheritdoc />
    public override void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Default is { } d) { options["default"] = d; }
        if (Min is { } min) { options["min"] = min; }
        if (Max is { } max) { options["max"] = max; }
        if (Step is { } step) { options["step"] = step; }
        if (Round is { } round) { options["round"] = round; }
        else if (RoundDisabled) { options["round"] = false; }
        if (Display is not null) { options["display"] = Display; }
        base.WriteOptions(options, services);
    }

    /// <inheritdoc />
    public override double Convert(object? value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        ulong u => u,
        BigInteger b => (double)b,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException($"Input '{Name}' expected FLOAT but received {value?.GetType().Name ?? "null"}."),
    };
}

/// <summary>STRING widget.</summary>
public sealed class StringInput : Input<string>
{
    /// <summary>Declares a STRING input.</summary>
    public StringInput(string name) : base(name) { }

    /// <inheritdoc />
    public override string Type => IOTypes.STRING;
    /// <summary>Initial widget value.</summary>
    public string? Default { get; init; }
    /// <summary>Multi-line text box.</summary>
    public bool Multiline { get; init; }
    /// <summary>Writes <c>"multiline": false</c> (schemas that state the single-line box explicitly).</summary>
    public bool ExplicitSingleLine { get; init; }
    /// <summary>The frontend expands <c>{a|b}</c> before sending.</summary>
    public bool? DynamicPrompts { get; init; }
    /// <summary>Hint text.</summary>
    public string? Placeholder { get; init; }

    /// <inheritdoc />
    public override void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Default is not null) { options["default"] = Default; }
        if (Multiline) { options["multiline"] = true; }
        else if (ExplicitSingleLine) { options["multiline"] = false; }
        if (DynamicPrompts is { } dp) { options["dynamicPrompts"] = dp; }
        if (Placeholder is not null) { options["placeholder"] = Placeholder; }
        base.WriteOptions(options, services);
    }

    /// <inheritdoc />
    public override string Convert(object? value) => value switch
    {
        string s => s,
        null => throw new InvalidCastException($"Input '{Name}' expected STRING but received null."),
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>BOOLEAN toggle.</summary>
public sealed class BooleanInput : Input<bool>
{
    /// <summary>Declares a BOOLEAN input.</summary>
    public BooleanInput(string name) : base(name) { }

    /// <inheritdoc />
    public override string Type => IOTypes.BOOLEAN;
    /// <summary>Initial widget value.</summary>
    public bool? Default { get; init; }
    /// <summary>Label when on.</summary>
    public string? LabelOn { get; init; }
    /// <summary>Label when off.</summary>
    public string? LabelOff { get; init; }

    /// <inheritdoc />
    public override void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Default is { } d) { options["default"] = d; }
        if (LabelOn is not null) { options["label_on"] = LabelOn; }
        if (LabelOff is not null) { options["label_off"] = LabelOff; }
        base.WriteOptions(options, services);
    }

    /// <inheritdoc />
    public override bool Convert(object? value) => value switch
    {
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length != 0,
        null => false,
        _ => true,
    };
}

/// <summary>
/// A drop-down. Classic nodes serve it as <c>[[options], {...}]</c>, schema nodes as
/// <c>["COMBO", {"multiselect": false, "options": [...]}]</c> (chosen by the node's <see cref="NodeFlavor"/>).
/// Options are either fixed or recomputed on every request (file lists).
/// </summary>
public sealed class ComboInput : Input<string>
{
    private readonly IReadOnlyList<string>? _options;
    private readonly Func<IServiceProvider, IReadOnlyList<string>>? _dynamicOptions;

    /// <summary>Declares a combo with a fixed option list.</summary>
    public ComboInput(string name, IReadOnlyList<string> options) : base(name) => _options = options;

    /// <summary>Declares a combo whose options are computed per request (e.g. files in a folder).</summary>
    public ComboInput(string name, Func<IServiceProvider, IReadOnlyList<string>> dynamicOptions) : base(name) => _dynamicOptions = dynamicOptions;

    /// <inheritdoc />
    public override string Type => IOTypes.COMBO;
    /// <summary>Initial selection.</summary>
    public string? Default { get; init; }
    /// <summary>Adds an upload button posting to <c>/upload/image</c>.</summary>
    public bool ImageUpload { get; init; }
    /// <summary>Where the UI fetches previews of the selected file: "input", "output", "temp".</summary>
    public string? ImageFolder { get; init; }
    /// <summary>The UI adds a companion widget that changes the value after each run.</summary>
    public bool ControlAfterGenerate { get; init; }

    /// <summary>True when the options are computed per request (file lists) rather than fixed.</summary>
    public bool HasDynamicOptions => _dynamicOptions is not null;

    /// <summary>The current option list.</summary>
    public IReadOnlyList<string> GetOptions(IServiceProvider services) => _options ?? _dynamicOptions!(services);

    /// <inheritdoc />
    public override void WriteOptions(JsonObject options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Default is not null) { options["default"] = Default; }
        if (ImageUpload) { options["image_upload"] = true; }
        if (ImageFolder is not null) { options["image_folder"] = ImageFolder; }
        if (ControlAfterGenerate) { options["control_after_generate"] = true; }
        base.WriteOptions(options, services);
    }

    /// <inheritdoc />
    public override string Convert(object? value) => value switch
    {
        string s => s,
        null => throw new InvalidCastException($"Input '{Name}' expected a COMBO value but received null."),
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>A widget or socket whose value is passed through unconverted (custom types, <c>*</c>, multi-types like "STRING,INT").</summary>
public sealed class AnyInput : Input<object?>
{
    /// <summary>Declares an input of the given wire type whose values are passed as they are.</summary>
    public AnyInput(string name, string type = IOTypes.Any) : base(name) => Type = type;

    /// <inheritdoc />
    public override string Type { get; }

    /// <inheritdoc />
    public override object? Convert(object? value) => value;
}

/// <summary>A hidden input declaration (shown in <c>/object_info</c>'s <c>hidden</c> section).</summary>
public sealed record HiddenInput(string Name, HiddenKind Kind)
{
    /// <summary>
    /// When set, the input is not filled by the executor: it is served as <c>["&lt;type&gt;"]</c> and its value is
    /// passed through from the node's graph entry like an optional input (TESTPACK.md §5.3).
    /// </summary>
    public string? PassThroughType { get; init; }
}

/// <summary>Helpers to write JSON numbers exactly.</summary>
public static class JsonNumbers
{
    /// <summary>A JSON integer node for any 64-bit signed or unsigned value.</summary>
    public static JsonNode Integer(BigInteger value)
    {
        if (value >= long.MinValue && value <= long.MaxValue)
        {
            return JsonValue.Create((long)value);
        }
        if (value >= 0 && value <= ulong.MaxValue)
        {
            return JsonValue.Create((ulong)value);
        }
        return JsonNode.Parse(value.ToString(CultureInfo.InvariantCulture))!;
    }
}
