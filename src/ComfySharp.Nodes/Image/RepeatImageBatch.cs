using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Repeats the whole image batch a number of times.</summary>
public sealed class RepeatImageBatch : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>How many copies of the batch.</summary>
    public static readonly IntInput Amount = new("amount") { Default = 1, Min = 1, Max = 4096 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "RepeatImageBatch",
        Category = "image/batch",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Amount],
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
        return ValueTask.FromResult(NodeOutput.Of(image.repeat(inputs.Get(Amount), 1, 1, 1)));
    }
}
