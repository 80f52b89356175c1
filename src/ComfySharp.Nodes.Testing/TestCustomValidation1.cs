using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Named-parameter validator: literals must be tensors or floats (TESTPACK.md §6.2).</summary>
public sealed class TestCustomValidation1 : ComfyNode
{
    internal static readonly AnyInput Input1 = new("input1", "IMAGE,FLOAT") { OneElementSpec = true };
    internal static readonly AnyInput Input2 = new("input2", "IMAGE,FLOAT") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestCustomValidation1", DisplayName = "Custom Validation 1", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1, Input2],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
        Validation = new ValidationSignature(["input1", "input2"]),
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        object? a = constants.Raw.GetValueOrDefault("input1");
        object? b = constants.Raw.GetValueOrDefault("input2");
        if (a is not null && !PackSupport.IsTensorOrFloat(a)) { return ValueTask.FromResult(ValidationResult.Fail($"Invalid type of input1: {PackSupport.ClassName(a)}")); }
        if (b is not null && !PackSupport.IsTensorOrFloat(b)) { return ValueTask.FromResult(ValidationResult.Fail($"Invalid type of input2: {PackSupport.ClassName(b)}")); }
        return ValueTask.FromResult(ValidationResult.Ok);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Multiply(inputs.Get(Input1), inputs.Get(Input2))));
    }
}
