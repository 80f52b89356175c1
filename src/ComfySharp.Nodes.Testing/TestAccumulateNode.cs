using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulate (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulateNode : ComfyNode
{
    internal static readonly AnyInput ToAdd = new("to_add") { OneElementSpec = true };
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulateNode", DisplayName = "Accumulate", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [ToAdd], Optional = [Accumulation],
        Outputs = [new OutputSpec("ACCUMULATION")],
        Validation = PackSupport.VariantSignature,
        VariantOutputTypes = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        ValueTask.FromResult(PackSupport.VariantCheck(Definition, inputTypes));

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var items = Accumulations.Items(inputs.Raw.GetValueOrDefault("accumulation"));
        items.Add(inputs.Raw.GetValueOrDefault("to_add"));
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Make(items)));
    }
}
