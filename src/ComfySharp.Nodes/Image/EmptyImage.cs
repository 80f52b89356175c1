using ComfySharp.Abstractions;
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
        ArgumentNullException.ThrowIfNull(context);
        SizeLimits.EnsureAllocatable(context.Services, "EmptyImage", batch, height, width, 3);
        // One native fill instead of three fills and a concatenation: a 3-value colour expanded over
        // the batch and copied out. Built inside a scope so the expanded view stays rooted while used.
        using var scope = NewDisposeScope();
        float[] rgb = [(float)(((color >> 16) & 0xFF) / 255.0), (float)(((color >> 8) & 0xFF) / 255.0), (float)((color & 0xFF) / 255.0)];
        Tensor colour = tensor(rgb);
        Tensor image = colour.expand([batch, height, width, 3]).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(image.MoveToOuterDisposeScope()));
    }
}
