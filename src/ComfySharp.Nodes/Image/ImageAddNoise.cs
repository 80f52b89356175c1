using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Adds seeded Gaussian noise (a CPU generator seeded with the seed) times a strength, clipped to [0, 1].</summary>
public sealed class ImageAddNoise : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The noise seed.</summary>
    public static readonly IntInput Seed = new("seed") { Default = 0, Min = 0, Max = ulong.MaxValue, ControlAfterGenerate = true, Tooltip = "The seed of the noise." };
    /// <summary>Noise strength.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 0.5, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageAddNoise",
        Category = "image",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Seed, Strength],
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
        using var scope = NewDisposeScope();
        using var generator = new Generator(inputs.GetUnsigned(Seed), CPU);
        Tensor noise = randn(image.shape, ScalarType.Float32, CPU, generator: generator).to(image.dtype, image.device);
        Tensor result = image.Add(noise.Mul(inputs.Get(Strength))).Clamp(0.0, 1.0);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
