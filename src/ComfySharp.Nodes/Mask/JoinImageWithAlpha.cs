using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ComfySharp.Nodes.Mask;

/// <summary>Adds an alpha channel of 1 − mask (resized bilinearly to the image) to RGB images; the batch is the shorter of the two.</summary>
public sealed class JoinImageWithAlpha : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The mask (1 = transparent).</summary>
    public static readonly SocketInput<Tensor> Alpha = new("alpha", IOTypes.MASK);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "JoinImageWithAlpha",
        DisplayName = "Join Image with Alpha",
        Category = "mask/compositing",
        PythonModule = "comfy_extras.nodes_compositing",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Alpha],
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
        if (image.shape[3] < 3)
        {
            throw new NodeException("ValueError", $"JoinImageWithAlpha needs RGB images; got {image.shape[3]} channel(s).");
        }
        using var scope = NewDisposeScope();
        Tensor mask = ImageTensors.AsMaskBatch(inputs.Get(Alpha)).to_type(image.dtype);
        mask = F.interpolate(mask.unsqueeze(1), [image.shape[1], image.shape[2]], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        long batch = Math.Min(image.shape[0], mask.shape[0]);
        Tensor result = cat([image.narrow(0, 0, batch).narrow(3, 0, 3), mask.narrow(0, 0, batch).RSub(1.0).unsqueeze(3)], 3);
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
