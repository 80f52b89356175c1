using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Crops a width × height window at (x, y), clipped at the border.</summary>
public sealed class ImageCrop : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Window width.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Window height.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Left edge.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Top edge.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageCrop",
        DisplayName = "Image Crop",
        Category = "image/transform",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Width, Height, X, Y],
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
        long x = Math.Min(inputs.Get(X), image.shape[2] - 1);
        long y = Math.Min(inputs.Get(Y), image.shape[1] - 1);
        Tensor rows = PySlice.Slice(image, 1, y, y + inputs.Get(Height));
        Tensor result = PySlice.Slice(rows, 2, x, x + inputs.Get(Width)).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
