using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>The variant input-type check only (TESTPACK.md §5.1, §6.2).</summary>
public sealed class TestCustomValidation3 : ComfyNode
{
    internal static readonly AnyInput Input1 = new("input1", "IMAGE,FLOAT") { OneElementSpec = true };
    internal static readonly AnyInput Input2 = new("input2", "IMAGE,FLOAT") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestCustomValidation3", DisplayName = "Custom Validation 3", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1, Input2],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
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
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Multiply(inputs.Get(Input1), inputs.Get(Input2))));
    }
}
