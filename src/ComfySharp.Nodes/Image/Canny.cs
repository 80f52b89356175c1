using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Canny edge map of each image (white edges on black, 3 channels), as a ControlNet hint.</summary>
public sealed class Canny : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Gradient magnitude above which a pixel is a weak edge.</summary>
    public static readonly FloatInput LowThreshold = new("low_threshold") { Default = 0.4, Min = 0.01, Max = 0.99, Step = 0.01 };
    /// <summary>Gradient magnitude above which a pixel is a strong edge.</summary>
    public static readonly FloatInput HighThreshold = new("high_threshold") { Default = 0.8, Min = 0.01, Max = 0.99, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "Canny",
        Category = "image/preprocessors",
        PythonModule = "comfy_extras.nodes_canny",
        Flavor = NodeFlavor.Schema,
        Required = [Image, LowThreshold, HighThreshold],
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
        using var scope = NewDisposeScope();
        // Alpha, if any, is dropped: the edges are found on the colour channels.
        Tensor pixels = image.shape[3] > 3 ? image[.., .., .., ..3] : image;
        var (_, edges) = CannyEdges.Detect(pixels.permute(0, 3, 1, 2), inputs.Get(LowThreshold), inputs.Get(HighThreshold));
        Tensor result = edges.repeat(1, 3, 1, 1).permute(0, 2, 3, 1).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
