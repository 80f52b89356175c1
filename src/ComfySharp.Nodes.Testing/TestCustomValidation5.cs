using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;

namespace ComfySharp.Nodes.Testing;

/// <summary>Keyword-argument validator: every built-in min/max check is skipped (TESTPACK.md §6.2).</summary>
public sealed class TestCustomValidation5 : ComfyNode
{
    internal static readonly FloatInput Input1 = new("input1") { Min = 0.0, Max = 1.0 };
    internal static readonly FloatInput Input2 = new("input2") { Min = 0.0, Max = 1.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestCustomValidation5", DisplayName = "Custom Validation 5", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1, Input2],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
        Validation = new ValidationSignature([], AcceptsAllInputs: true),
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        if (!constants.Raw.TryGetValue("input2", out object? input2))
        {
            throw new NodeException("KeyError", "'input2'");
        }
        return ValueTask.FromResult(input2 is double d && d == 7.0
            ? ValidationResult.Fail("7s are not allowed. I've never liked 7s.")
            : ValidationResult.Ok);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double value = inputs.Get(Input1) * inputs.Get(Input2);
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones().Mul((float)value)));
    }
}
