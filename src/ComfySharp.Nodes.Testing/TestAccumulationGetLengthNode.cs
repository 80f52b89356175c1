using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulation Get Length (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulationGetLengthNode : ComfyNode
{
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulationGetLengthNode", DisplayName = "Accumulation Get Length", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Accumulation],
        Outputs = [new OutputSpec(IOTypes.INT)],
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
        return ValueTask.FromResult(NodeOutput.Of((long)Accumulations.Items(inputs.Raw.GetValueOrDefault("accumulation")).Count));
    }
}
