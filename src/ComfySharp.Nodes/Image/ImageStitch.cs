using System.Collections.Frozen;
using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Image;

/// <summary>Stitches image2 beside image1 (right, down, left or up), optionally matching sizes and with a coloured spacer.</summary>
public sealed class ImageStitch : ComfyNode
{
    private static readonly FrozenDictionary<string, double[]> Colors = new Dictionary<string, double[]>(StringComparer.Ordinal)
    {
        ["white"] = [1, 1, 1], ["black"] = [0, 0, 0], ["red"] = [1, 0, 0], ["green"] = [0, 1, 0], ["blue"] = [0, 0, 1],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The first image.</summary>
    public static readonly SocketInput<Tensor> Image1 = new("image1", IOTypes.IMAGE);
    /// <summary>Where image2 goes.</summary>
    public static readonly ComboInput Direction = new("direction", ["right", "down", "left", "up"]) { Default = "right" };
    /// <summary>Resize image2 (Lanczos, keeping its aspect) to image1's height or width.</summary>
    public static readonly BooleanInput MatchImageSize = new("match_image_size") { Default = true };
    /// <summary>Spacer width (rounded up to even).</summary>
    public static readonly IntInput SpacingWidth = new("spacing_width") { Default = 0, Min = 0, Max = 1024, Step = 2 };
    /// <summary>Spacer colour (also the padding colour when sizes are not matched).</summary>
    public static readonly ComboInput SpacingColor = new("spacing_color", ["white", "black", "red", "green", "blue"]) { Default = "white" };
    /// <summary>The second image; without it image1 passes through.</summary>
    public static readonly SocketInput<Tensor> Image2 = new("image2", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageStitch",
        DisplayName = "Image Stitch",
        Category = "image/transform",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image1, Direction, MatchImageSize, SpacingWidth, SpacingColor],
        Optional = [Image2],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        Tensor image1 = inputs.Get(Image1);
        ImageTensors.RequireImage(image1, "image1");
        if (!inputs.HasValue(Image2))
        {
            return ValueTask.FromResult(NodeOutput.Of(image1));
        }
        Tensor image2 = inputs.Get(Image2);
        ImageTensors.RequireImage(image2, "image2");
        string direction = inputs.Get(Direction);
        bool horizontal = direction is "left" or "right";
        double[] color = Colors[inputs.Get(SpacingColor)];
        using var scope = NewDisposeScope();
        long batch = Math.Max(image1.shape[0], image2.shape[0]);
        image1 = RepeatLast(image1, batch);
        image2 = RepeatLast(image2, batch).to_type(image1.dtype);
        if (inputs.Get(MatchImageSize))
        {
            long h1 = image1.shape[1], w1 = image1.shape[2];
            double aspect = image2.shape[2] / (double)image2.shape[1];
            (long width, long height) = horizontal ? ((long)(h1 * aspect), h1) : (w1, (long)(w1 / aspect));
            if (width < 1 || height < 1)
            {
                throw new NodeException("ValueError", $"ImageStitch: matching image2 to image1 gives an empty {width}×{height} image.");
            }
            SizeLimits.EnsureAllocatable(context.Services, "ImageStitch: the resized image2", batch, height, width, image2.shape[3]);
            image2 = Resampling.CommonUpscale(image2.permute(0, 3, 1, 2), width, height, "lanczos", "disabled").permute(0, 2, 3, 1);
        }
        else
        {
            // Pads the shorter side with the spacing colour's grey value (0 for colours, as the reference does).
            double pad = color.Distinct().Count() == 1 ? color[0] : 0.0;
            int axis = horizontal ? 1 : 2;
            long target = Math.Max(image1.shape[axis], image2.shape[axis]);
            image1 = PadCentered(image1, axis, target, pad);
            image2 = PadCentered(image2, axis, target, pad);
        }
        long channels = Math.Max(image1.shape[3], image2.shape[3]);
        image1 = PadChannels(image1, channels);
        image2 = PadChannels(image2, channels);
        long spacing = inputs.Get(SpacingWidth);
        spacing += spacing % 2;
        var parts = direction is "left" or "up" ? new List<Tensor> { image2, image1 } : [image1, image2];
        if (spacing > 0)
        {
            long[] shape = horizontal
                ? [batch, Math.Max(image1.shape[1], image2.shape[1]), spacing, channels]
                : [batch, spacing, Math.Max(image1.shape[2], image2.shape[2]), channels];
            SizeLimits.EnsureAllocatable(context.Services, "ImageStitch: the spacer", shape);
            var values = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                values[c] = c < 3 ? (float)color[c] : 1f;
            }
            parts.Insert(1, tensor(values).to(image1.dtype, image1.device).expand(shape));
        }
        long[] outShape = horizontal
            ? [batch, image1.shape[1], parts.Sum(p => p.shape[2]), channels]
            : [batch, parts.Sum(p => p.shape[1]), image1.shape[2], channels];
        SizeLimits.EnsureAllocatable(context.Services, "ImageStitch: the stitched image", outShape);
        Tensor result = cat(parts.ToArray(), horizontal ? 2 : 1);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }

    private static Tensor RepeatLast(Tensor image, long batch) =>
        image.shape[0] >= batch ? image : cat([image, image.narrow(0, image.shape[0] - 1, 1).repeat(batch - image.shape[0], 1, 1, 1)], 0);

    private static Tensor PadCentered(Tensor image, int axis, long target, double value)
    {
        long missing = target - image.shape[axis];
        if (missing <= 0)
        {
            return image;
        }
        long before = missing / 2, after = missing - before;
        long[] pad = axis == 1 ? [0, 0, 0, 0, before, after] : [0, 0, before, after];
        return F.pad(image, pad, TorchSharp.PaddingModes.Constant, value);
    }

    private static Tensor PadChannels(Tensor image, long channels) =>
        image.shape[3] >= channels ? image : cat([image, ones([.. image.shape[..3], channels - image.shape[3]], image.dtype, image.device)], 3);
}
