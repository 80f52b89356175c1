using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulation Head (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulationHeadNode : ComfyNode
{
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulationHeadNode", DisplayName = "Accumulation Head", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Accumulation],
        Outputs = [new OutputSpec("ACCUMULATION"), new OutputSpec(IOTypes.Any)],
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
        object? accumulation = inputs.Raw.GetValueOrDefault("accumulation");
        var items = Accumulations.Items(accumulation);
        if (items.Count == 0) { return ValueTask.FromResult(NodeOutput.Of(accumulation, null)); }
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Make(items.Skip(1).ToList()), items[0]));
    }
}
