using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Splits an RGB image into its Y (luma), U (Cb) and V (Cr) planes, each returned as a grey image of the
/// input's shape. Uses the BT.601 weights with chroma offset by ½: Y = 0.299 R + 0.587 G + 0.114 B,
/// U = 0.564 (B − Y) + ½, V = 0.713 (R − Y) + ½.
/// </summary>
public sealed class ImageRGBToYUV : ComfyNode
{
    /// <summary>The RGB image.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageRGBToYUV",
        Category = "image/batch",
        PythonModule = "comfy_extras.nodes_morphology",
        Flavor = NodeFlavor.Schema,
        Required = [Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE, "Y"), new OutputSpec(IOTypes.IMAGE, "U"), new OutputSpec(IOTypes.IMAGE, "V")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor image = inputs.Get(Image);
        if (image.dim() != 4 || image.shape[3] != 3)
        {
            throw new NodeException("ValueError", $"ImageRGBToYUV needs an RGB IMAGE [B, H, W, 3]; got {ImageTensors.ShapeText(image)}.");
        }
        using var scope = NewDisposeScope();
        Tensor r = image.select(3, 0), g = image.select(3, 1), b = image.select(3, 2);
        Tensor y = r.Mul(0.299).Add(g.Mul(0.587)).Add(b.Mul(0.114));
        Tensor u = (b - y).Mul(0.564).Add(0.5);
        Tensor v = (r - y).Mul(0.713).Add(0.5);
        Tensor Plane(Tensor p) => p.unsqueeze(3).expand(image.shape).contiguous().MoveToOuterDisposeScope();
        return ValueTask.FromResult(NodeOutput.Of(Plane(y), Plane(u), Plane(v)));
    }
}
