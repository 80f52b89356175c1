using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Crops a width × height window at (x, y) (all / 8), keeping at least 8 latent pixels from the corner.</summary>
public sealed class LatentCrop : ComfyNode
{
    /// <summary>The latents.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT) { OneElementSpec = true };
    /// <summary>Window width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 512, Min = 64, Max = 16384, Step = 8 };
    /// <summary>Window height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 512, Min = 64, Max = 16384, Step = 8 };
    /// <summary>Left edge in pixels.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Top edge in pixels.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 8 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentCrop",
        DisplayName = "Crop Latent",
        Category = "latent/transform",
        Required = [Samples, Width, Height, X, Y],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        Tensor samples = latent.Samples;
        long x = inputs.Get(X) / 8, y = inputs.Get(Y) / 8;
        if (x > samples.shape[3] - 8)
        {
            x = samples.shape[3] - 8;
        }
        if (y > samples.shape[2] - 8)
        {
            y = samples.shape[2] - 8;
        }
        long toX = (inputs.Get(Width) / 8) + x, toY = (inputs.Get(Height) / 8) + y;
        Tensor cropped = PySlice.Slice(PySlice.Slice(samples, 2, y, toY), 3, x, toX).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = cropped }));
    }
}
