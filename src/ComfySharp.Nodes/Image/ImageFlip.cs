using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Mirrors images top↔bottom (x-axis) or left↔right (y-axis).</summary>
public sealed class ImageFlip : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The flip.</summary>
    public static readonly ComboInput FlipMethod = new("flip_method", ["x-axis: vertically", "y-axis: horizontally"]);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageFlip",
        Category = "image/transform",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, FlipMethod],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        long dim = inputs.Get(FlipMethod).StartsWith('x') ? 1 : 2;
        return ValueTask.FromResult(NodeOutput.Of(image.flip(dim)));
    }
}
