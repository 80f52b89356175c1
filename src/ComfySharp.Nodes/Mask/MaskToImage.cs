using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Turns a mask into a greyscale RGB image [B, H, W, 3].</summary>
public sealed class MaskToImage : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "MaskToImage",
        DisplayName = "Convert Mask to Image",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Mask],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor mask = inputs.Get(Mask);
        Tensor result = ImageTensors.AsMaskBatch(mask).unsqueeze(-1).expand(-1, -1, -1, 3).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
