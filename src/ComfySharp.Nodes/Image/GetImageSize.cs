using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>An image batch's width, height and batch size; the sizes are also shown on the node.</summary>
public sealed class GetImageSize : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "GetImageSize",
        DisplayName = "Get Image Size",
        Category = "image",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image],
        Hidden = [new HiddenInput("unique_id", HiddenKind.UNIQUE_ID)],
        Outputs = [new OutputSpec(IOTypes.INT, "width"), new OutputSpec(IOTypes.INT, "height"), new OutputSpec(IOTypes.INT, "batch_size")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        long width = image.shape[2], height = image.shape[1], batch = image.shape[0];
        context.SendText($"width: {width}, height: {height}\n batch size: {batch}");
        return ValueTask.FromResult(NodeOutput.Of(width, height, batch));
    }
}
