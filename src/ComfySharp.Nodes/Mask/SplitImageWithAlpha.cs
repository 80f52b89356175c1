using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Splits RGBA images into RGB and a mask of 1 − alpha (an RGB image gives a zero mask).</summary>
public sealed class SplitImageWithAlpha : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SplitImageWithAlpha",
        DisplayName = "Split Image with Alpha",
        Category = "mask/compositing",
        PythonModule = "comfy_extras.nodes_compositing",
        Flavor = NodeFlavor.Schema,
        Required = [Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE), new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        using var scope = NewDisposeScope();
        Tensor rgb = image.narrow(3, 0, Math.Min(3, image.shape[3])).contiguous();
        Tensor alpha = image.shape[3] > 3 ? image.select(3, 3) : ones_like(image.select(3, 0));
        return ValueTask.FromResult(NodeOutput.Of(rgb.MoveToOuterDisposeScope(), alpha.RSub(1.0).MoveToOuterDisposeScope()));
    }
}
