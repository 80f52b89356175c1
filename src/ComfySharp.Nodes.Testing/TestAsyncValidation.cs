using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Validation (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncValidation : ComfyNode
{
    internal static readonly FloatInput Value = new("value") { Default = 5.0 };
    internal static readonly FloatInput Threshold = new("threshold") { Default = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncValidation", DisplayName = "Test Async Validation", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, Threshold], Validation = new ValidationSignature(["value", "threshold"]),
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
        double threshold = PackSupport.ToDouble(constants.Raw.GetValueOrDefault("threshold"));
        return value > threshold ? ValidationResult.Fail($"Value {PackSupport.PyFloat(value)} exceeds threshold {PackSupport.PyFloat(threshold)}") : ValidationResult.Ok;
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones().Mul((float)(inputs.Get(Value) / 10.0))));
    }
}
