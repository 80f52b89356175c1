using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Image;

/// <summary>Grey-scale morphology with a square structuring element: erode, dilate, open, close, gradient, top hat, bottom hat.</summary>
public sealed class Morphology : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The operation.</summary>
    public static readonly ComboInput Operation = new("operation", ["erode", "dilate", "open", "close", "gradient", "bottom_hat", "top_hat"]);
    /// <summary>Edge of the square structuring element.</summary>
    public static readonly IntInput KernelSize = new("kernel_size") { Default = 3, Min = 3, Max = 999, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "Morphology",
        DisplayName = "ImageMorphology",
        Category = "image/postprocessing",
        PythonModule = "comfy_extras.nodes_morphology",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Operation, KernelSize],
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
        int size = (int)inputs.Get(KernelSize);
        using var scope = NewDisposeScope();
        Tensor x = image.permute(0, 3, 1, 2).to_type(ScalarType.Float32);
        Tensor result = inputs.Get(Operation) switch
        {
            "erode" => Erode(x, size),
            "dilate" => Dilate(x, size),
            "open" => Dilate(Erode(x, size), size),
            "close" => Erode(Dilate(x, size), size),
            "gradient" => Dilate(x, size) - Erode(x, size),
            "top_hat" => x - Dilate(Erode(x, size), size),
            "bottom_hat" => Erode(Dilate(x, size), size) - x,
            _ => x,
        };
        return ValueTask.FromResult(NodeOutput.Of(result.permute(0, 2, 3, 1).to_type(image.dtype).contiguous().MoveToOuterDisposeScope()));
    }

    /// <summary>The maximum over the k×k window whose origin is at k/2; outside the image counts as −∞ (a geodesic border).</summary>
    public static Tensor Dilate(Tensor x, int size)
    {
        ArgumentNullException.ThrowIfNull(x);
        int before = size / 2, after = size - before - 1;
        // A window reaching further than the image's far edge sees nothing more (only -inf padding), so each
        // reach is cut at side - 1: the same result, without padding a 24×16 image to 1022×1014 for a 999 kernel.
        long h = x.shape[2], w = x.shape[3];
        long top = Math.Min(before, h - 1), bottom = Math.Min(after, h - 1), left = Math.Min(before, w - 1), right = Math.Min(after, w - 1);
        Tensor padded = F.pad(x, [left, right, top, bottom], TorchSharp.PaddingModes.Constant, double.NegativeInfinity);
        return F.max_pool2d(padded, [top + bottom + 1, left + right + 1], [1, 1]);
    }

    /// <summary>The minimum over the same window (outside the image counts as +∞).</summary>
    public static Tensor Erode(Tensor x, int size)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Dilate(x.neg(), size).neg();
    }
}
