using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Timeout (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncTimeout : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly FloatInput Timeout = new("timeout") { Default = 1.0, Min = 0.1, Max = 10.0 };
    internal static readonly FloatInput OperationTime = new("operation_time") { Default = 2.0, Min = 0.1, Max = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncTimeout", DisplayName = "Test Async Timeout", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, Timeout, OperationTime], IsAsync = true,
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double timeout = inputs.Get(Timeout);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var operation = PackSupport.Sleep(inputs.Get(OperationTime), bound.Token);
        var limit = PackSupport.Sleep(timeout, bound.Token);
        var first = await Task.WhenAny(operation, limit).ConfigureAwait(false);
        await bound.CancelAsync().ConfigureAwait(false);
        context.CancellationToken.ThrowIfCancellationRequested();
        if (first == limit)
        {
            throw new NodeException("RuntimeError", $"Operation timed out after {PackSupport.PyFloat(timeout)} seconds");
        }
        return NodeOutput.Of(inputs.Get(Value));
    }
}
