using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Appends image2's batch to image1's (image2 resized to image1's size, a missing alpha channel filled with 1). Deprecated in the reference.</summary>
public sealed class ImageBatch : ComfyNode
{
    /// <summary>First batch (fixes the size).</summary>
    public static readonly SocketInput<Tensor> Image1 = new("image1", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Second batch.</summary>
    public static readonly SocketInput<Tensor> Image2 = new("image2", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageBatch",
        DisplayName = "Batch Images",
        Category = "image",
        Deprecated = true,
        Required = [Image1, Image2],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image1 = inputs.Get(Image1), image2 = inputs.Get(Image2);
        ImageTensors.RequireImage(image1, "image1");
        ImageTensors.RequireImage(image2, "image2");
        using var scope = NewDisposeScope();
        if (image1.shape[3] != image2.shape[3])
        {
            if (image1.shape[3] > image2.shape[3])
            {
                image2 = cat([image2, ones_like(image2.narrow(3, 0, 1))], 3);
            }
            else
            {
                image1 = cat([image1, ones_like(image1.narrow(3, 0, 1))], 3);
            }
            if (image1.shape[3] != image2.shape[3])
            {
                throw new ArgumentException($"Cannot batch images with {image1.shape[3]} and {image2.shape[3]} channels.");
            }
        }
        if (image1.shape[1] != image2.shape[1] || image1.shape[2] != image2.shape[2])
        {
            image2 = ImageScale.Resize(image2, image1.shape[2], image1.shape[1], "bilinear", "center");
        }
        return ValueTask.FromResult(NodeOutput.Of(cat([image1, image2], 0).MoveToOuterDisposeScope()));
    }
}
