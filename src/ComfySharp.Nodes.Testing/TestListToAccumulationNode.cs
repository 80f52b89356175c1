using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>List to Accumulation (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestListToAccumulationNode : ComfyNode
{
    internal static readonly AnyInput List = new("list") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestListToAccumulationNode", DisplayName = "List to Accumulation", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [List], InputIsList = true,
        Outputs = [new OutputSpec("ACCUMULATION")],
        Validation = PackSupport.VariantSignature,
        VariantOutputTypes = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        throw new NodeException("AttributeError", "'list' object has no attribute 'items'");

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var list = inputs.Raw.GetValueOrDefault("list") as IReadOnlyList<object?> ?? [];
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Make([.. list])));
    }
}
