using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Joins Y, U and V planes (each image's channel mean is taken as the plane) back into RGB, inverting
/// <see cref="ImageRGBToYUV"/>: R = Y + 1.403 (V − ½), G = Y − 0.714 (V − ½) − 0.344 (U − ½),
/// B = Y + 1.773 (U − ½). Values are not clamped.
/// </summary>
public sealed class ImageYUVToRGB : ComfyNode
{
    /// <summary>The luma plane.</summary>
    public static readonly SocketInput<Tensor> Y = new("Y", IOTypes.IMAGE);
    /// <summary>The blue-difference plane.</summary>
    public static readonly SocketInput<Tensor> U = new("U", IOTypes.IMAGE);
    /// <summary>The red-difference plane.</summary>
    public static readonly SocketInput<Tensor> V = new("V", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageYUVToRGB",
        Category = "image/batch",
        PythonModule = "comfy_extras.nodes_morphology",
        Flavor = NodeFlavor.Schema,
        Required = [Y, U, V],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor y = inputs.Get(Y), u = inputs.Get(U), v = inputs.Get(V);
        foreach (Tensor plane in (Tensor[])[y, u, v])
        {
            if (plane.dim() != 4 || !plane.shape.AsSpan(0, 3).SequenceEqual(y.shape.AsSpan(0, 3)) || plane.shape[3] == 0)
            {
                throw new NodeException("ValueError",
                    $"ImageYUVToRGB needs Y, U and V images of one size [B, H, W, C]; got {ImageTensors.ShapeText(y)}, {ImageTensors.ShapeText(u)} and {ImageTensors.ShapeText(v)}.");
            }
        }
        using var scope = NewDisposeScope();
        Tensor luma = y.mean([3]);
        Tensor cb = u.mean([3]).Sub(0.5), cr = v.mean([3]).Sub(0.5);
        Tensor r = luma.Add(cr.Mul(1.403));
        Tensor g = luma - cr.Mul(0.714) - cb.Mul(0.344);
        Tensor b = luma.Add(cb.Mul(1.773));
        Tensor rgb = stack([r, g, b], 3);
        return ValueTask.FromResult(NodeOutput.Of(rgb.MoveToOuterDisposeScope()));
    }
}
