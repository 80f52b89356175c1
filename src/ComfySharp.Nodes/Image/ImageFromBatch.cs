using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>A run of consecutive images from a batch (index and length clipped to the batch).</summary>
public sealed class ImageFromBatch : ComfyNode
{
    /// <summary>The batch.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>First image.</summary>
    public static readonly IntInput BatchIndex = new("batch_index") { Default = 0, Min = 0, Max = 4095 };
    /// <summary>How many images.</summary>
    public static readonly IntInput Length = new("length") { Default = 1, Min = 1, Max = 4096 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageFromBatch",
        Category = "image/batch",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, BatchIndex, Length],
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
        long count = image.shape[0];
        long index = Math.Min(count - 1, inputs.Get(BatchIndex));
        long length = Math.Min(count - index, inputs.Get(Length));
        using var scope = NewDisposeScope();
        return ValueTask.FromResult(NodeOutput.Of(image.narrow(0, index, length).clone().MoveToOuterDisposeScope()));
    }
}
