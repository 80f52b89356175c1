using ComfySharp.Abstractions;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Gaussian blur with a (2r+1)² kernel whose sigma is relative to the radius; reflected borders.</summary>
public sealed class ImageBlur : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>Kernel radius.</summary>
    public static readonly IntInput BlurRadius = new("blur_radius") { Default = 1, Min = 1, Max = 31, Step = 1 };
    /// <summary>Gaussian sigma (the kernel spans −1..1).</summary>
    public static readonly FloatInput Sigma = new("sigma") { Default = 1.0, Min = 0.1, Max = 10.0, Step = 0.1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageBlur",
        Category = "image/postprocessing",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Image, BlurRadius, Sigma],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        long radius = inputs.Get(BlurRadius);
        if (radius == 0)
        {
            return ValueTask.FromResult(NodeOutput.Of(image));
        }
        using var scope = NewDisposeScope();
        Tensor kernel = PostProcessing.GaussianKernel((radius * 2) + 1, inputs.Get(Sigma));
        return ValueTask.FromResult(NodeOutput.Of(PostProcessing.Convolve(image, kernel, radius, "ImageBlur").MoveToOuterDisposeScope()));
    }
}
