using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Scales images to fit a target size keeping their aspect ratio, centred on a white or black canvas of that size.</summary>
public sealed class ResizeAndPadImage : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Canvas width.</summary>
    public static readonly IntInput TargetWidth = new("target_width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Canvas height.</summary>
    public static readonly IntInput TargetHeight = new("target_height") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Canvas colour.</summary>
    public static readonly ComboInput PaddingColor = new("padding_color", ["white", "black"]);
    /// <summary>Scaling method.</summary>
    public static readonly ComboInput Interpolation = new("interpolation", ["area", "bicubic", "nearest-exact", "bilinear", "lanczos"]);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ResizeAndPadImage",
        Category = "image/transform",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, TargetWidth, TargetHeight, PaddingColor, Interpolation],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
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
        long targetWidth = inputs.Get(TargetWidth), targetHeight = inputs.Get(TargetHeight);
        long batch = image.shape[0], height = image.shape[1], width = image.shape[2], channels = image.shape[3];
        SizeLimits.EnsureAllocatable(context.Services, "ResizeAndPadImage", batch, channels, targetHeight, targetWidth);
        double scale = Math.Min(targetWidth / (double)width, targetHeight / (double)height);
        long newWidth = (long)(width * scale), newHeight = (long)(height * scale);
        using var scope = NewDisposeScope();
        Tensor canvas = ScalarMath.Full([batch, channels, targetHeight, targetWidth], inputs.Get(PaddingColor) == "black" ? 0.0 : 1.0, image.dtype, image.device);
        if (newWidth > 0 && newHeight > 0)
        {
            Tensor resized = Resampling.CommonUpscale(image.permute(0, 3, 1, 2), newWidth, newHeight, inputs.Get(Interpolation), "disabled");
            canvas.narrow(2, (targetHeight - newHeight) / 2, newHeight).narrow(3, (targetWidth - newWidth) / 2, newWidth).copy_(resized);
        }
        return ValueTask.FromResult(NodeOutput.Of(canvas.permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope()));
    }
}
