using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Image;

/// <summary>Shared maths of the post-processing nodes (blend, blur, sharpen).</summary>
public static class PostProcessing
{
    /// <summary>
    /// A size × size Gaussian whose sample positions span −1..1 on both axes (so sigma is relative
    /// to the radius), normalised to sum 1.
    /// </summary>
    public static Tensor GaussianKernel(long size, double sigma)
    {
        using var scope = NewDisposeScope();
        Tensor axis = linspace(-1, 1, size, ScalarType.Float32);
        Tensor[] grid = meshgrid([axis, axis], indexing: "ij");
        Tensor d = (grid[0] * grid[0]).Add(grid[1] * grid[1]).sqrt();
        Tensor g = (-(d * d)).Div(2.0 * sigma * sigma).exp();
        return (g / g.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>Convolves each channel of an IMAGE [B, H, W, C] with <paramref name="kernel"/> [k, k] using reflected borders.</summary>
    public static Tensor Convolve(Tensor image, Tensor kernel, long radius, string node)
    {
        ImageTensors.RequireImage(image);
        if (radius >= image.shape[1] || radius >= image.shape[2])
        {
            throw new ArgumentException($"{node}: the radius ({radius}) must be smaller than the image's width and height ({image.shape[2]}x{image.shape[1]}).");
        }
        using var scope = NewDisposeScope();
        long channels = image.shape[3];
        long size = (radius * 2) + 1;
        Tensor weights = kernel.repeat(channels, 1, 1).unsqueeze(1);
        Tensor padded = F.pad(image.permute(0, 3, 1, 2), [radius, radius, radius, radius], PaddingModes.Reflect);
        Tensor convolved = F.conv2d(padded, weights, padding: [size / 2, size / 2], groups: channels);
        Tensor cropped = convolved.narrow(2, radius, convolved.shape[2] - (2 * radius)).narrow(3, radius, convolved.shape[3] - (2 * radius));
        return cropped.permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Makes two IMAGE batches channel-compatible: a source with more channels loses the extra ones,
    /// a source with fewer gets an alpha channel of 1.
    /// </summary>
    public static (Tensor Destination, Tensor Source) AlphaFix(Tensor destination, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(source);
        long dc = destination.shape[^1], sc = source.shape[^1];
        if (dc < sc)
        {
            source = source.narrow(-1, 0, dc);
        }
        else if (dc > sc)
        {
            source = F.pad(source, [0, 1], value: 1.0);
        }
        return (destination, source);
    }
}
