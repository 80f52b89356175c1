using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>An output node that also feeds downstream nodes; it produces no UI (TESTPACK.md §6.3).</summary>
public sealed class TestOutputNodeWithSocketOutput : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly FloatInput Value = new("value") { Default = 1.0, Min = 0.0, Max = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestOutputNodeWithSocketOutput", DisplayName = "Test Output Node With Socket Output", Category = "_for_testing", PythonModule = PackSupport.Module,
        OutputNode = true,
        Required = [Image, Value],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Image).Mul((float)inputs.Get(Value))));
    }
}
