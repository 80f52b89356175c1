using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Returns one channel of an image as a [B, H, W] mask.</summary>
public sealed class ImageToMask : ComfyNode
{
    /// <summary>The channel names in the reference's order.</summary>
    public static readonly IReadOnlyList<string> ChannelNames = ["red", "green", "blue", "alpha"];
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);
    /// <summary>The channel.</summary>
    public static readonly ComboInput Channel = new("channel", ChannelNames);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageToMask",
        DisplayName = "Convert Image to Mask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Image, Channel],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        string channel = inputs.Get(Channel);
        int index = ChannelNames.ToList().IndexOf(channel);
        if (index < 0)
        {
            throw new ArgumentException($"Unknown channel '{channel}'.");
        }
        if (index >= image.shape[3])
        {
            throw new ArgumentException($"The image has no {channel} channel (it has {image.shape[3]} channels).");
        }
        Tensor result = image.select(3, index).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(result.MoveToOuterDisposeScope()));
    }
}
