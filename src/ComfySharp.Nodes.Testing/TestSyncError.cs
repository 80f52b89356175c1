using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Sync Error (TESTPACK.md §6.7).</summary>
public sealed class TestSyncError : ComfyNode
{
    internal static readonly AnyInput Value = new("value");

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestSyncError", DisplayName = "Test Sync Error", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value],
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        throw new NodeException("RuntimeError", "Intentional sync execution error for testing");
    }
}
