using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Resource User (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncResourceUser : ComfyNode
{
    internal static readonly AnyInput Value = new("value");
    internal static readonly StringInput ResourceId = new("resource_id") { Default = "resource_0" };
    internal static readonly FloatInput Duration = new("duration") { Default = 0.1, Min = 0.0, Max = 1.0 };

    // The reference keeps this table at class level: it is shared by every instance and prompt by design.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> InUse = new(StringComparer.Ordinal);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncResourceUser", DisplayName = "Test Async Resource User", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Value, ResourceId, Duration], IsAsync = true,
        Outputs = [new OutputSpec(IOTypes.Any)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override async ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string resource = inputs.Get(ResourceId);
        if (!InUse.TryAdd(resource, true))
        {
            throw new NodeException("RuntimeError", $"Resource {resource} is already in use!");
        }
        try
        {
            await PackSupport.Sleep(inputs.Get(Duration), context.CancellationToken).ConfigureAwait(false);
            return NodeOutput.Of(inputs.Get(Value));
        }
        finally
        {
            InUse.TryRemove(resource, out _);
        }
    }
}
