using ComfySharp.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Creates a batch of images filled with one colour (0xRRGGBB).</summary>
public sealed class EmptyImage : ComfyNode
{
    /// <summary>Width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 1, Max = 16384, Step = 1 };
    /// <summary>Number of images.</summary>
    public static readonly IntInput BatchSize = new("batch_size") { Default = 1, Min = 1, Max = 4096 };
    /// <summary>The colour as 0xRRGGBB.</summary>
    public static readonly IntInput Color = new("color") { Default = 0, Min = 0, Max = 0xFFFFFF, Step = 1, Display = "color" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "EmptyImage",
        Category = "image",
        Required = [Width, Height, BatchSize, Color],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long width = inputs.Get(Width), height = inputs.Get(Height), batch = inputs.Get(BatchSize), color = inputs.Get(Color);
        if (batch * width * height > 4L * ServerOptions.DefaultMaxImagePixels)
        {
            throw new ArgumentException($"EmptyImage: {batch} images of {width}x{height} are too large.");
        }
        using var scope = NewDisposeScope();
        // Explicit Scalars held to the end: an implicit conversion could be finalized while libtorch reads it.
        using Scalar red = (((color >> 16) & 0xFF) / 255.0).ToScalar();
        using Scalar green = (((color >> 8) & 0xFF) / 255.0).ToScalar();
        using Scalar blue = ((color & 0xFF) / 255.0).ToScalar();
        Tensor r = full([batch, height, width, 1], red, ScalarType.Float32);
        Tensor g = full([batch, height, width, 1], green, ScalarType.Float32);
        Tensor b = full([batch, height, width, 1], blue, ScalarType.Float32);
        return ValueTask.FromResult(NodeOutput.Of(cat([r, g, b], -1).MoveToOuterDisposeScope()));
    }
}
