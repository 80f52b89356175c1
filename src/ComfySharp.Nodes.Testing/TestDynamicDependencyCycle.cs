using ComfySharp.Abstractions;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Expands into two lazy mixers that need each other: a cycle that appears only at run time (TESTPACK.md §6.2).</summary>
public sealed class TestDynamicDependencyCycle : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Input1 = new("input1", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly SocketInput<torch.Tensor> Input2 = new("input2", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestDynamicDependencyCycle", DisplayName = "Dynamic Dependency Cycle", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1, Input2],
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
        var mask = g.Node("StubMask", ("value", 0.5), ("height", 512L), ("width", 512L), ("batch_size", 1L));
        string p3 = g.Prefix + "3";
        var mix1 = g.Node("TestLazyMixImages", ("image1", inputs.Get(Input1)), ("mask", mask.Out(0)), ("image2", new NodeLink(p3, 0)));
        var mix2 = g.Node("TestLazyMixImages", ("image1", mix1.Out(0)), ("image2", inputs.Get(Input2)), ("mask", mask.Out(0)));
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [mix2.Out(0)]));
    }
}
