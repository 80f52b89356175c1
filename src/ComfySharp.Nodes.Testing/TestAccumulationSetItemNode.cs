using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulation Set Item (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulationSetItemNode : ComfyNode
{
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };
    internal static readonly IntInput Index = new("index") { Default = 0, Step = 1 };
    internal static readonly AnyInput Value = new("value") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulationSetItemNode", DisplayName = "Accumulation Set Item", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Accumulation, Index, Value],
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
        int index = Accumulations.PythonIndex(inputs.Get(Index), items.Count, "list assignment index out of range");
        items[index] = inputs.Raw.GetValueOrDefault("value");
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Make(items)));
    }
}
