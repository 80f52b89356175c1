using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Collects <c>value0</c>…<c>value9</c> into an output list (TESTPACK.md §6.5).</summary>
public sealed class TestMakeListNode : ComfyNode
{
    internal static readonly AnyInput Value1 = new("value1") { OneElementSpec = true };
    internal static readonly AnyInput[] OptionalValues = [.. Enumerable.Range(1, 9).Select(i => new AnyInput($"value{i}") { OneElementSpec = true })];

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestMakeListNode", DisplayName = "Make List", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Value1],
        Optional = OptionalValues,
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
        var list = new List<object?>();
        for (int i = 0; i <= 9; i++)
        {
            if (inputs.Raw.TryGetValue($"value{i}", out object? value)) { list.Add(value); }
        }
        return ValueTask.FromResult(NodeOutput.Of(list));
    }
}
