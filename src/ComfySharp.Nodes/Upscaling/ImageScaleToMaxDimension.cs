using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Upscaling;

/// <summary>Resizes images so that their longer side is a given size, keeping the aspect ratio.</summary>
public sealed class ImageScaleToMaxDimension : ComfyNode
{
    /// <summary>The reference's option list, including its repeated <c>bilinear</c>.</summary>
    public static readonly IReadOnlyList<string> Methods = ["area", "lanczos", "bilinear", "nearest-exact", "bilinear", "bicubic"];

    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Methods);
    /// <summary>Size of the longer side.</summary>
    public static readonly IntInput LargestSize = new("largest_size") { Default = 512, Min = 0, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageScaleToMaxDimension",
        Category = "image/upscaling",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, UpscaleMethod, LargestSize],
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
        var (width, height) = TargetSize(image.shape[2], image.shape[1], inputs.Get(LargestSize));
        if (width <= 0 || height <= 0)
        {
            throw new NodeException("ValueError", $"A largest side of {inputs.Get(LargestSize)} makes a {image.shape[2]}×{image.shape[1]} image empty ({width}×{height}).");
        }
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "ImageScaleToMaxDimension", image.shape[0], height, width, image.shape[3]);
        return ValueTask.FromResult(NodeOutput.Of(ImageScale.Resize(image, width, height, inputs.Get(UpscaleMethod), "disabled")));
    }

    /// <summary>The reference's size: the longer side becomes <paramref name="largest"/>, the other round(side/longer·largest), half to even.</summary>
    public static (long Width, long Height) TargetSize(long width, long height, long largest)
    {
        if (height > width)
        {
            return ((long)Math.Round(width / (double)height * largest, MidpointRounding.ToEven), largest);
        }
        if (width > height)
        {
            return (largest, (long)Math.Round(height / (double)width * largest, MidpointRounding.ToEven));
        }
        return (largest, largest);
    }
}
