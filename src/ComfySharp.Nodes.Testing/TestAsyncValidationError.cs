using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Validation Error (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncValidationError : ComfyNode
{
    internal static readonly FloatInput Value = new("value") { Default = 5.0 };
    internal static readonly FloatInput MaxValue = new("max_value") { Default = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncValidationError", DisplayName = "Test Async Validation Error", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, MaxValue], Validation = new ValidationSignature(["value", "max_value"]),
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        await Task.Delay(50).ConfigureAwait(false);
        double value = PackSupport.ToDouble(constants.Raw.GetValueOrDefault("value"));
        double max = PackSupport.ToDouble(constants.Raw.GetValueOrDefault("max_value"));
        return value > max ? ValidationResult.Fail($"Async validation failed: {PackSupport.PyFloat(value)} > {PackSupport.PyFloat(max)}") : ValidationResult.Ok;
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones().Mul((float)(inputs.Get(Value) / inputs.Get(MaxValue)))));
    }
}
