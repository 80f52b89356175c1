using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Joins 2–50 image batches into one: a batch with fewer channels gets an alpha of 1, and every batch is
/// resized (bilinear, centre crop) to the first one's size.
/// </summary>
public sealed class BatchImagesNode : ComfyNode
{
    /// <summary>The grown sockets <c>images.image0</c>, <c>images.image1</c>, …</summary>
    public static readonly AutogrowInput<Tensor> Images = new("images", "image", 2, 50, name => new SocketInput<Tensor>(name, IOTypes.IMAGE));

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "BatchImagesNode",
        DisplayName = "Batch Images",
        Category = "image",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Images],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<Tensor> images = Images.Values(inputs);
        if (images.Count == 0)
        {
            throw new ArgumentException("BatchImagesNode: no images are connected.");
        }
        for (int i = 0; i < images.Count; i++)
        {
            ImageTensors.RequireImage(images[i], $"images.image{i}");
        }
        using var scope = NewDisposeScope();
        long channels = images.Max(image => image.shape[3]);
        var padded = images.Select(image => image.shape[3] < channels ? F.pad(image, [0, 1], value: 1.0) : image).ToList();
        if (padded.Any(image => image.shape[3] != channels))
        {
            throw new ArgumentException($"BatchImagesNode: images with {string.Join(", ", images.Select(i => i.shape[3]).Distinct())} channels cannot be batched.");
        }
        Tensor first = padded[0];
        var resized = padded.Select(image => image.shape[1] == first.shape[1] && image.shape[2] == first.shape[2]
            ? image
            : ImageScale.Resize(image, first.shape[2], first.shape[1], "bilinear", "center")).ToList();
        return ValueTask.FromResult(NodeOutput.Of(cat(resized, 0).MoveToOuterDisposeScope()));
    }
}
