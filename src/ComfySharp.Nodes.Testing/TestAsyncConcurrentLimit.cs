using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Concurrent Limit (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncConcurrentLimit : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly FloatInput Duration = new("duration") { Default = 0.5, Min = 0.1, Max = 2.0 };
    internal static readonly IntInput NodeIdInput = new("node_id") { Default = 0 };

    // Shared by every instance and prompt, like the reference's class-level semaphore.
    private static readonly SemaphoreSlim Permits = new(2, 2);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncConcurrentLimit", DisplayName = "Test Async Concurrent Limit", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, Duration, NodeIdInput], IsAsync = true,
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        await Permits.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            await PackSupport.Sleep(inputs.Get(Duration), context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Permits.Release();
        }
        return NodeOutput.Of(inputs.Get(Value));
    }
}
