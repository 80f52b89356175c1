using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Rotates images clockwise by a multiple of 90 degrees.</summary>
public sealed class ImageRotate : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The rotation.</summary>
    public static readonly ComboInput Rotation = new("rotation", ["none", "90 degrees", "180 degrees", "270 degrees"]);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageRotate",
        Category = "image/transform",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Rotation],
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
        string rotation = inputs.Get(Rotation);
        int quarterTurns = rotation.StartsWith("90", StringComparison.Ordinal) ? 1 : rotation.StartsWith("180", StringComparison.Ordinal) ? 2 : rotation.StartsWith("270", StringComparison.Ordinal) ? 3 : 0;
        // Rotating from the width axis towards the height axis turns the picture clockwise.
        return ValueTask.FromResult(NodeOutput.Of(image.rot90(quarterTurns, (2, 1))));
    }
}
