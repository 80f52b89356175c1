using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Returns its INT widget (TESTPACK.md §6.1).</summary>
public sealed class StubInt : ComfyNode
{
    internal static readonly IntInput Value = new("value") { Default = 0, Min = -4294967295, Max = 4294967295, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StubInt", DisplayName = "Stub Int", Category = "Testing/Stub Nodes", PythonModule = PackSupport.Module,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.INT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value)));
    }
}
