using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;

namespace ComfySharp.Nodes.Testing;

/// <summary>Returns a plain tuple, a result dict or an expansion depending on its input (TESTPACK.md §6.2).</summary>
public sealed class TestMixedExpansionReturns : ComfyNode
{
    internal static readonly FloatInput Input1 = new("input1") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestMixedExpansionReturns", DisplayName = "Mixed Expansion Returns", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1],
        Outputs = [new OutputSpec(IOTypes.IMAGE), new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double value = inputs.Get(Input1);
        if (value <= 0.1) { return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones().Mul(0.1f), PackSupport.Ones())); }
        if (value <= 0.2) { return ValueTask.FromResult(NodeOutput.Of(PackSupport.Ones().Mul(0.2f), PackSupport.Ones())); }
        var g = new GraphBuilder(context.NextExpansionPrefix());
        var mask = g.Node("StubMask", ("value", 0.3), ("height", 512L), ("width", 512L), ("batch_size", 1L));
        var black = g.Node("StubImage", ("content", "BLACK"), ("height", 512L), ("width", 512L), ("batch_size", 1L));
        var white = g.Node("StubImage", ("content", "WHITE"), ("height", 512L), ("width", 512L), ("batch_size", 1L));
        var mix = g.Node("TestLazyMixImages", ("image1", black.Out(0)), ("image2", white.Out(0)), ("mask", mask.Out(0)));
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [mix.Out(0), PackSupport.Ones()]));
    }
}
