using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Output node that expands into three concurrent sleeps and their average (TESTPACK.md §6.3).</summary>
public sealed class TestParallelSleep : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image1 = new("image1", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly SocketInput<torch.Tensor> Image2 = new("image2", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly SocketInput<torch.Tensor> Image3 = new("image3", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly FloatInput Sleep1 = new("sleep1") { Default = 0.5, Min = 0.0, Max = 10.0, Step = 0.01 };
    internal static readonly FloatInput Sleep2 = new("sleep2") { Default = 0.5, Min = 0.0, Max = 10.0, Step = 0.01 };
    internal static readonly FloatInput Sleep3 = new("sleep3") { Default = 0.5, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestParallelSleep", DisplayName = "Test Parallel Sleep", Category = "_for_testing", PythonModule = PackSupport.Module,
        OutputNode = true,
        Required = [Image1, Image2, Image3, Sleep1, Sleep2, Sleep3],
        Hidden = [new HiddenInput("unique_id", HiddenKind.UNIQUE_ID)],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var g = new GraphBuilder(context.NextExpansionPrefix());
        var s1 = g.Node("TestSleep", ("value", inputs.Get(Image1)), ("seconds", inputs.Get(Sleep1)));
        var s2 = g.Node("TestSleep", ("value", inputs.Get(Image2)), ("seconds", inputs.Get(Sleep2)));
        var s3 = g.Node("TestSleep", ("value", inputs.Get(Image3)), ("seconds", inputs.Get(Sleep3)));
        var average = g.Node("TestVariadicAverage", ("input1", s1.Out(0)), ("input2", s2.Out(0)), ("input3", s3.Out(0)));
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [average.Out(0)]));
    }
}
