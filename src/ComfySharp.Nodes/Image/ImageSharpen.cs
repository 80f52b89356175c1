using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Unsharp-style sharpening: a negated, scaled Gaussian whose centre makes the kernel sum to 1; reflected borders; clamped.</summary>
public sealed class ImageSharpen : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Kernel radius.</summary>
    public static readonly IntInput SharpenRadius = new("sharpen_radius") { Default = 1, Min = 1, Max = 31, Step = 1 };
    /// <summary>Gaussian sigma (the kernel spans −1..1).</summary>
    public static readonly FloatInput Sigma = new("sigma") { Default = 1.0, Min = 0.1, Max = 10.0, Step = 0.01 };
    /// <summary>Strength.</summary>
    public static readonly FloatInput Alpha = new("alpha") { Default = 1.0, Min = 0.0, Max = 5.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageSharpen",
        Category = "image/postprocessing",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Image, SharpenRadius, Sigma, Alpha],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        long radius = inputs.Get(SharpenRadius);
        if (radius == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(image));
        }
        using var scope = NewDisposeScope();
        long size = (radius * 2) + 1;
        Tensor kernel = PostProcessing.GaussianKernel(size, inputs.Get(Sigma)).Mul(-(inputs.Get(Alpha) * 10));
        long center = size / 2;
        Tensor adjusted = (kernel[center, center] - kernel.sum()).Add(1.0);
        kernel[center, center].copy_(adjusted);
        Tensor result = PostProcessing.Convolve(image, kernel, radius, "ImageSharpen").Clamp(0, 1);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
