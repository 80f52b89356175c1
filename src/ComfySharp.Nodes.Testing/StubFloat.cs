using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Returns its FLOAT widget (TESTPACK.md §6.1).</summary>
public sealed class StubFloat : ComfyNode
{
    internal static readonly FloatInput Value = new("value") { Default = 0.0, Min = -1e38, Max = 1e38, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "StubFloat", DisplayName = "Stub Float", Category = "Testing/Stub Nodes", PythonModule = PackSupport.Module,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.FLOAT)],
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
