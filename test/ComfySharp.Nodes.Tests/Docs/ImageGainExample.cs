using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Docs;

/// <summary>Multiplies every pixel by a gain and clips the result to [0, 1].</summary>
public sealed class ImageGainExample : ComfyNode
{
    /// <summary>The images to brighten or darken.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);

    /// <summary>The factor; 1 leaves the image unchanged.</summary>
    public static readonly FloatInput Gain = new("gain") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageGainExample",
        DisplayName = "Image Gain (example)",
        Category = "image/postprocessing",
        Required = [Image, Gain],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        // Every temporary lives in the scope; scalars go through ScalarMath, never `image * gain`.
        using var scope = NewDisposeScope();
        Tensor result = inputs.Get(Image).Mul(inputs.Get(Gain)).Clamp(0.0, 1.0);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
