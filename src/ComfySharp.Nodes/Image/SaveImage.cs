using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Writes each image of the batch as a PNG into the output directory with the workflow as metadata.</summary>
public sealed class SaveImage : ComfyNode
{
    /// <summary>zlib level of saved PNGs.</summary>
    public const int CompressionLevel = 4;

    /// <summary>The images to save.</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE) { Tooltip = "The images to write to the output directory." };

    /// <summary>File-name prefix; may contain a subfolder and %width%, %height%, %year%, %month%, %day%, %hour%, %minute%, %second%.</summary>
    public static readonly StringInput FilenamePrefix = new("filename_prefix")
    {
        Default = "ComfyUI",
        Tooltip = "Start of the file names. It may name a subfolder (sub/name) and contain %width%, %height%, %year%, %month%, %day%, %hour%, %minute% or %second%; the frontend also expands %date:yyyy-MM-dd% and %Node.widget%.",
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveImage",
        DisplayName = "Save Image",
        Category = "image",
        Description = "Writes the images as PNG files into the output directory.",
        OutputNode = true,
        Required = [Images, FilenamePrefix],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
        Outputs = [],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var directories = context.GetService<ComfyDirectories>();
        var ui = ImageSaver.Save(inputs.Get(Images), inputs.Get(FilenamePrefix), directories.Output, "output", CompressionLevel, context);
        return ValueTask.FromResult(NodeOutput.UiOnly(ui));
    }
}
