using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Resizes images to a given width and height (0 keeps the aspect ratio), optionally centre-cropping first.</summary>
public sealed class ImageScale : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Resampling method.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", Resampling.ImageMethods) { OneElementSpec = true };
    /// <summary>Target width; 0 derives it from the height.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Target height; 0 derives it from the width.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Crop mode.</summary>
    public static readonly ComboInput Crop = new("crop", Resampling.CropModes) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageScale",
        DisplayName = "Upscale Image",
        Category = "image/upscaling",
        Required = [Image, UpscaleMethod, Width, Height, Crop],
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
        long width = inputs.Get(Width), height = inputs.Get(Height);
        if (width == 0 && height == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(image));
        }
        long oldWidth = image.shape[2], oldHeight = image.shape[1];
        if (width == 0)
        {
            width = Math.Max(1, (long)Math.Round(oldWidth * (double)height / oldHeight));
        }
        else if (height == 0)
        {
            height = Math.Max(1, (long)Math.Round(oldHeight * (double)width / oldWidth));
        }
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "ImageScale", image.shape[0], height, width, image.shape[3]);
        return ValueTask.FromResult(NodeOutput.Of(Resize(image, width, height, inputs.Get(UpscaleMethod), inputs.Get(Crop))));
    }

    /// <summary>Resizes an IMAGE batch [B, H, W, C] with <see cref="Resampling.CommonUpscale"/>.</summary>
    public static Tensor Resize(Tensor image, long width, long height, string method, string crop)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        Tensor result = Resampling.CommonUpscale(image.permute(0, 3, 1, 2), width, height, method, crop).permute(0, 2, 3, 1).contiguous();
        return result.MoveToOuterDisposeScope();
    }
}
