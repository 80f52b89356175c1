using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Bool Operation (TESTPACK.md §6).</summary>
public sealed class TestBoolOperationNode : ComfyNode
{
    internal static readonly BooleanInput A = new("a") { OneElementSpec = true };
    internal static readonly BooleanInput B = new("b") { OneElementSpec = true };
    internal static readonly ComboInput Op = new("op", ["a AND b", "a OR b", "a XOR b", "NOT a"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestBoolOperationNode", DisplayName = "Bool Operation", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [A, B, Op],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        bool a = PackSupport.Truthy(inputs.Raw.GetValueOrDefault("a"));
        bool b = PackSupport.Truthy(inputs.Raw.GetValueOrDefault("b"));
        bool result = inputs.Get(Op) switch
        {
            "a AND b" => a && b,
            "a OR b" => a || b,
            "a XOR b" => a ^ b,
            _ => !a,
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
