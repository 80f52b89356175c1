using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Upscaling;

/// <summary>Resizes images to about a number of megapixels (keeping the aspect ratio), each side a multiple of a step.</summary>
public sealed class ImageScaleToTotalPixels : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Resampling.ImageMethods);
    /// <summary>Target size in megapixels (of 1024² pixels).</summary>
    public static readonly FloatInput Megapixels = new("megapixels") { Default = 1.0, Min = 0.01, Max = 16.0, Step = 0.01 };
    /// <summary>Each side is rounded to a multiple of this.</summary>
    public static readonly IntInput ResolutionSteps = new("resolution_steps") { Default = 1, Min = 1, Max = 256 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageScaleToTotalPixels",
        Category = "image/upscaling",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Image, UpscaleMethod, Megapixels, ResolutionSteps],
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
        var (width, height) = TargetSize(image.shape[2], image.shape[1], inputs.Get(Megapixels), inputs.Get(ResolutionSteps));
        if (width <= 0 || height <= 0)
        {
            throw new NodeException("ValueError", $"Scaling a {image.shape[2]}×{image.shape[1]} image to {inputs.Get(Megapixels)} megapixels in steps of {inputs.Get(ResolutionSteps)} gives an empty {width}×{height} image.");
        }
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "ImageScaleToTotalPixels", image.shape[0], height, width, image.shape[3]);
        return ValueTask.FromResult(NodeOutput.Of(ImageScale.Resize(image, width, height, inputs.Get(UpscaleMethod), "disabled")));
    }

    /// <summary>The reference's size: scale = √(megapixels·1024² / (w·h)); each side round(side·scale / steps)·steps, rounding half to even.</summary>
    public static (long Width, long Height) TargetSize(long width, long height, double megapixels, long steps)
    {
        double total = megapixels * 1024 * 1024;
        double scale = Math.Sqrt(total / (width * height));
        long w = (long)Math.Round(width * scale / steps, MidpointRounding.ToEven) * steps;
        long h = (long)Math.Round(height * scale / steps, MidpointRounding.ToEven) * steps;
        return (w, h);
    }
}
