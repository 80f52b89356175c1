using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Reduces each image to at most <c>colors</c> colours (median cut), with optional dithering.</summary>
public sealed class ImageQuantize : ComfyNode
{
    /// <summary>The dither options in the reference's order.</summary>
    public static readonly IReadOnlyList<string> DitherModes = ["none", "floyd-steinberg", "bayer-2", "bayer-4", "bayer-8", "bayer-16"];

    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Palette size.</summary>
    public static readonly IntInput Colors = new("colors") { Default = 256, Min = 1, Max = 256, Step = 1 };
    /// <summary>Dithering.</summary>
    public static readonly ComboInput Dither = new("dither", DitherModes);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageQuantize",
        Category = "image/postprocessing",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Colors, Dither],
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
        if (image.shape[3] < 3)
        {
            throw new ArgumentException($"ImageQuantize needs RGB images, got {image.shape[3]} channel(s).");
        }
        int colors = (int)inputs.Get(Colors);
        string dither = inputs.Get(Dither);
        var results = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (long b = 0; b < image.shape[0]; b++)
        {
            context.ThrowIfInterrupted();
            PixelBuffer pixels = ImageTensors.ToPixels(image[b].narrow(2, 0, 3));
            byte[][] palette = ColorQuantizer.MedianCut(pixels.Pixels, colors);
            byte[] mapped = dither switch
            {
                "none" => ColorQuantizer.MapNearest(pixels.Pixels, palette),
                "floyd-steinberg" => ColorQuantizer.MapFloydSteinberg(pixels.Pixels, pixels.Width, pixels.Height, palette),
                _ when dither.StartsWith("bayer-", StringComparison.Ordinal) =>
                    ColorQuantizer.MapBayer(pixels.Pixels, pixels.Width, pixels.Height, palette, int.Parse(dither["bayer-".Length..], System.Globalization.CultureInfo.InvariantCulture)),
                _ => throw new ArgumentException($"Unknown dither mode '{dither}'."),
            };
            results.Add(ImageTensors.FromPixels(pixels with { Pixels = mapped }));
        }
        return ValueTask.FromResult(NodeOutput.Of(cat(results, 0).MoveToOuterDisposeScope()));
    }
}
