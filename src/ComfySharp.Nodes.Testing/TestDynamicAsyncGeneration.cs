using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Test Dynamic Async Generation (TESTPACK.md §6.7).</summary>
public sealed class TestDynamicAsyncGeneration : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image1 = new("image1", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly SocketInput<torch.Tensor> Image2 = new("image2", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly IntInput NumAsyncNodes = new("num_async_nodes") { Default = 3, Min = 1, Max = 10 };
    internal static readonly FloatInput SleepDuration = new("sleep_duration") { Default = 0.2, Min = 0.1, Max = 1.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestDynamicAsyncGeneration", DisplayName = "Test Dynamic Async Generation", Category = "_for_testing/async", PythonModule = PackSupport.Module,
        Required = [Image1, Image2, NumAsyncNodes, SleepDuration],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        long count = inputs.Get(NumAsyncNodes);
        double seconds = inputs.Get(SleepDuration);
        var g = new GraphBuilder(context.NextExpansionPrefix());
        var sleeps = new List<GraphNode>();
        for (int i = 0; i < count; i++)
        {
            sleeps.Add(g.Node("TestSleep", ("value", i % 2 == 0 ? inputs.Get(Image1) : inputs.Get(Image2)), ("seconds", seconds)));
        }
        if (count == 1) { return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [sleeps[0].Out(0)])); }
        var average = g.Node("TestVariadicAverage", [.. sleeps.Select((s, i) => ($"input{i + 1}", (object?)s.Out(0)))]);
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [average.Out(0)]));
    }
}
