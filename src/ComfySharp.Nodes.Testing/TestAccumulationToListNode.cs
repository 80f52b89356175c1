using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulation to List (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulationToListNode : ComfyNode
{
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulationToListNode", DisplayName = "Accumulation to List", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Accumulation],
        Outputs = [new OutputSpec(IOTypes.Any, IsList: true)],
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
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Items(inputs.Raw.GetValueOrDefault("accumulation"))));
    }
}
