using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Shows a mask as a greyscale preview image written to the temp directory.</summary>
public sealed class MaskPreview : ComfyNode
{
    /// <summary>The mask.</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "MaskPreview",
        DisplayName = "Preview Mask",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        OutputNode = true,
        Required = [Mask],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
        Outputs = [],
    };

    private readonly Image.PreviewImage _preview = new();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        Tensor image = ImageTensors.AsMaskBatch(inputs.Get(Mask)).to_type(ScalarType.Float32).unsqueeze(-1).expand(-1, -1, -1, 3).contiguous();
        var directories = context.GetService<ComfyDirectories>();
        var ui = Image.ImageSaver.Save(image, _preview.Prefix, directories.Temp, "temp", Image.PreviewImage.CompressionLevel, context, deferWrite: true);
        return ValueTask.FromResult(NodeOutput.UiOnly(ui));
    }
}
