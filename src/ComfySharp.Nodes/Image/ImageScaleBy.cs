using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Resizes images by a factor: round(w × scale_by) × round(h × scale_by).</summary>
public sealed class ImageScaleBy : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Resampling.ImageMethods) { OneElementSpec = true };
    /// <summary>The factor.</summary>
    public static readonly FloatInput ScaleBy = new("scale_by") { Default = 1.0, Min = 0.01, Max = 8.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageScaleBy",
        DisplayName = "Upscale Image By",
        Category = "image/upscaling",
        Required = [Image, UpscaleMethod, ScaleBy],
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
        double scale = inputs.Get(ScaleBy);
        long width = (long)Math.Round(image.shape[2] * scale);
        long height = (long)Math.Round(image.shape[1] * scale);
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "ImageScaleBy", image.shape[0], height, width, image.shape[3]);
        return ValueTask.FromResult(NodeOutput.Of(ImageScale.Resize(image, width, height, inputs.Get(UpscaleMethod), "disabled")));
    }
}
