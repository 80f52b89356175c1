using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Start of a while loop: passes its initial values through (TESTPACK.md §6.4).</summary>
public sealed class TestWhileLoopOpen : ComfyNode
{
    internal static readonly BooleanInput Condition = new("condition") { Default = true };
    internal static readonly AnyInput[] InitialValues = [.. Enumerable.Range(0, 5).Select(i => new AnyInput($"initial_value{i}") { OneElementSpec = true })];

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestWhileLoopOpen", DisplayName = "While Loop Open", Category = "Testing/Flow", PythonModule = PackSupport.Module,
        Required = [Condition],
        Optional = InitialValues,
        Outputs = [new OutputSpec("FLOW_CONTROL", "FLOW_CONTROL"), .. Enumerable.Range(0, 5).Select(i => new OutputSpec(IOTypes.Any, $"value{i}"))],
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
        object?[] values = ["stub", .. InitialValues.Select(v => inputs.Raw.GetValueOrDefault(v.Name))];
        return ValueTask.FromResult(NodeOutput.Of(values));
    }
}
