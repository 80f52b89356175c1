using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Sends each image as a PNG binary frame (event 1, format 2) to the prompt's client socket, with no file
/// written: the reference's websocket_image_save custom node, which API clients use to receive images directly.
/// </summary>
public sealed class SaveImageWebsocket : ComfyNode
{
    /// <summary>zlib level of the frames' PNGs (the reference's preview encoder uses 1).</summary>
    public const int CompressionLevel = 1;

    /// <summary>The images to send.</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveImageWebsocket",
        DisplayName = "SaveImageWebsocket",
        Category = "api/image",
        PythonModule = "custom_nodes.websocket_image_save",
        OutputNode = true,
        Required = [Images],
        Outputs = [],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        Tensor images = inputs.Get(Images);
        ImageTensors.RequireImage(images, "SaveImageWebsocket images");
        long count = images.shape[0];
        PixelBuffer? pixels = null;
        for (long i = 0; i < count; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                pixels = ImageTensors.ToPixels(images[i], pixels);
            }
            byte[] png = PngFile.Encode(pixels, CompressionLevel);
            context.ReportProgress(i, count, new Abstractions.PreviewImage(PreviewFormat.Png, png));
        }
        return ValueTask.FromResult(NodeOutput.Of());
    }
}
