using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>A mask of the pixels whose 8-bit RGB colour equals a 0xRRGGBB value.</summary>
public sealed class ImageColorToMask : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The colour as 0xRRGGBB.</summary>
    public static readonly IntInput Color = new("color") { Default = 0, Min = 0, Max = 0xFFFFFF, Step = 1, Display = "number" };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageColorToMask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Color],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        if (image.shape[3] < 3)
        {
            throw new NodeException("ValueError", $"ImageColorToMask needs RGB images; got {image.shape[3]} channel(s).");
        }
        using var scope = NewDisposeScope();
        // As the reference: round(clamp(x, 0, 1)·255) per channel, packed as R<<16 | G<<8 | B.
        Tensor bytes = image.narrow(3, 0, 3).Clamp(0.0, 1.0).Mul(255.0).round().to_type(ScalarType.Int32);
        Tensor packed = bytes.select(3, 0).Mul(65536).Add(bytes.select(3, 1).Mul(256)).Add(bytes.select(3, 2));
        Tensor mask = packed.Eq(inputs.Get(Color)).to_type(ScalarType.Float32);
        return ValueTask.FromResult(NodeOutput.Of(mask.MoveToOuterDisposeScope()));
    }
}
