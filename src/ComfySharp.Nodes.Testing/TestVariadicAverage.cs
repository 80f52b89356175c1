using System.Globalization;
using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Averages <c>input1</c>, <c>input2</c>, ... passed as undeclared links (TESTPACK.md §6.2).</summary>
public sealed class TestVariadicAverage : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Input1 = new("input1", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestVariadicAverage", DisplayName = "Variadic Average", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Input1],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var images = new List<torch.Tensor>();
        for (int i = 1; inputs.Raw.TryGetValue("input" + i.ToString(CultureInfo.InvariantCulture), out object? value); i++)
        {
            images.Add(value as torch.Tensor ?? throw new NodeException("TypeError", $"expected Tensor as element {i - 1} in argument 0, but got {value?.GetType().Name ?? "NoneType"}"));
        }
        using var scope = torch.NewDisposeScope();
        var stacked = torch.stack(images);
        var sum = stacked[0].clone();
        for (int i = 1; i < images.Count; i++) { sum = sum.Add(stacked[i]); }
        var mean = sum.Div((float)images.Count);
        return ValueTask.FromResult(NodeOutput.Of(mean.MoveToOuterDisposeScope()));
    }
}
