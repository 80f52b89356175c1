using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Error (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncError : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly FloatInput ErrorAfter = new("error_after") { Default = 0.1, Min = 0.0, Max = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncError", DisplayName = "Test Async Error", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, ErrorAfter], IsAsync = true,
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        await PackSupport.Sleep(inputs.Get(ErrorAfter), context.CancellationToken).ConfigureAwait(false);
        throw new NodeException("RuntimeError", "Intentional async execution error for testing");
    }
}
