using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Scales an image; IS_CHANGED sees only constants, so a linked image reads as null (TESTPACK.md §6.2).</summary>
public sealed class TestIsChangedWithConstants : ComfyNode
{
    internal static readonly SocketInput<torch.Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    internal static readonly FloatInput Value = new("value") { Default = 1.0, Min = 0.0, Max = 10.0 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestIsChangedWithConstants", DisplayName = "IsChanged With Constants", Category = "Testing/Nodes", PythonModule = PackSupport.Module,
        Required = [Image, Value],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasFingerprint => true;

    /// <inheritdoc />
    public override ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        double value = constants.GetOrDefault(Value, 1.0);
        if (constants.Raw.GetValueOrDefault("image") is torch.Tensor image)
        {
            return ValueTask.FromResult<object?>(image.mean().item<float>() * value);
        }
        return ValueTask.FromResult<object?>(value);
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Image).Mul((float)inputs.Get(Value))));
    }
}
