using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Async Lazy Check (TESTPACK.md §6.7).</summary>
public sealed class TestAsyncLazyCheck : ComfyNode
{
    internal static readonly AnyInput Input1 = new("input1") { Lazy = true };
    internal static readonly AnyInput Input2 = new("input2") { Lazy = true };
    internal static readonly BooleanInput Condition = new("condition") { Default = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAsyncLazyCheck", DisplayName = "Test Async Lazy Check", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Input1, Input2, Condition],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasLazyStatusCheck => true;

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<string>> CheckLazyStatusAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        await Task.Delay(50).ConfigureAwait(false);
        bool condition = PackSupport.Truthy(inputs.Raw.GetValueOrDefault("condition"));
        var needed = new List<string>();
        if (condition && inputs.Raw.GetValueOrDefault("input1") is null) { needed.Add("input1"); }
        if (!condition && inputs.Raw.GetValueOrDefault("input2") is null) { needed.Add("input2"); }
        return needed;
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones()));
    }
}
