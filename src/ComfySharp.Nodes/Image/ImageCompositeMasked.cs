using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Image;

/// <summary>Pastes <c>source</c> onto <c>destination</c> at (x, y), optionally through a mask and resizing the source first.</summary>
public sealed class ImageCompositeMasked : ComfyNode
{
    /// <summary>The background.</summary>
    public static readonly SocketInput<Tensor> Destination = new("destination", IOTypes.IMAGE);
    /// <summary>The pasted images.</summary>
    public static readonly SocketInput<Tensor> Source = new("source", IOTypes.IMAGE);
    /// <summary>Left edge of the paste.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Top edge of the paste.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Scale the source to the destination's size first.</summary>
    public static readonly BooleanInput ResizeSource = new("resize_source") { Default = false };
    /// <summary>Where to take the source (1) or keep the destination (0).</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageCompositeMasked",
        Category = "image",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Destination, Source, X, Y, ResizeSource],
        Optional = [Mask],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor destination = inputs.Get(Destination), source = inputs.Get(Source);
        ImageTensors.RequireImage(destination, "destination");
        ImageTensors.RequireImage(source, "source");
        Tensor? mask = inputs.HasValue(Mask) ? inputs.Get(Mask) : null;
        using var scope = NewDisposeScope();
        (destination, source) = PostProcessing.AlphaFix(destination, source);
        Tensor result = Composite(destination.permute(0, 3, 1, 2).clone(), source.permute(0, 3, 1, 2), inputs.Get(X), inputs.Get(Y), mask, 1, inputs.Get(ResizeSource));
        return ValueTask.FromResult(NodeOutput.Of(result.permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope()));
    }

    /// <summary>
    /// Pastes <paramref name="source"/> [B, C, h, w] into <paramref name="destination"/> [B, C, H, W]
    /// (modified in place and returned) at (x / multiplier, y / multiplier), clipped at the borders.
    /// </summary>
    public static Tensor Composite(Tensor destination, Tensor source, long x, long y, Tensor? mask, long multiplier, bool resizeSource)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(source);
        if (resizeSource)
        {
            source = F.interpolate(source, [destination.shape[2], destination.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        source = ImageTensors.RepeatToBatchSize(source, destination.shape[0]);
        x = Math.Max(-source.shape[3] * multiplier, Math.Min(x, destination.shape[3] * multiplier));
        y = Math.Max(-source.shape[2] * multiplier, Math.Min(y, destination.shape[2] * multiplier));
        long left = FloorDiv(x, multiplier), top = FloorDiv(y, multiplier);
        if (mask is null)
        {
            mask = ones_like(source);
        }
        else
        {
            mask = F.interpolate(mask.reshape(-1, 1, mask.shape[^2], mask.shape[^1]), [source.shape[2], source.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            mask = ImageTensors.RepeatToBatchSize(mask, source.shape[0]);
        }
        long visibleWidth = destination.shape[3] - left + Math.Min(0, x);
        long visibleHeight = destination.shape[2] - top + Math.Min(0, y);
        long rows = Math.Max(0, Math.Min(Math.Min(source.shape[2], visibleHeight), destination.shape[2] - Math.Max(top, 0)));
        long cols = Math.Max(0, Math.Min(Math.Min(source.shape[3], visibleWidth), destination.shape[3] - Math.Max(left, 0)));
        if (rows == 0 || cols == 0 || top < 0 || left < 0)
        {
            return destination;
        }
        Tensor maskPart = mask.narrow(2, 0, rows).narrow(3, 0, cols);
        Tensor sourcePart = source.narrow(2, 0, rows).narrow(3, 0, cols);
        Tensor region = destination.narrow(2, top, rows).narrow(3, left, cols);
        Tensor blended = (maskPart * sourcePart).Add((ones_like(maskPart) - maskPart) * region);
        region.copy_(blended);
        return destination;
    }

    private static long FloorDiv(long a, long b) => (long)Math.Floor((double)a / b);
}
