using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Writes the whole batch as one animated PNG into the output directory, with the prompt and workflow as
/// text chunks after <c>IHDR</c> like SaveImage. The reference writes them as chunks named <c>comf</c>
/// after the image data instead; that name has the PNG reserved bit set and libpng-based decoders (Skia,
/// hence LoadImage) reject such files, while the frontend reads text chunks either way.
/// </summary>
public sealed class SaveAnimatedPNG : ComfyNode
{
    /// <summary>The frames.</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE);

    /// <summary>File-name prefix, may name a subfolder.</summary>
    public static readonly StringInput FilenamePrefix = new("filename_prefix") { Default = "ComfyUI", ExplicitSingleLine = true };

    /// <summary>Frames per second.</summary>
    public static readonly FloatInput Fps = new("fps") { Default = 6.0, Min = 0.01, Max = 1000.0, Step = 0.01 };

    /// <summary>zlib level.</summary>
    public static readonly IntInput CompressLevel = new("compress_level") { Default = 4, Min = 0, Max = 9 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveAnimatedPNG",
        Category = "image/animation",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        OutputNode = true,
        Required = [Images, FilenamePrefix, Fps, CompressLevel],
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
        Tensor images = inputs.Get(Images);
        int delay = AnimatedSaving.DelayMilliseconds(inputs.Get(Fps));
        int level = (int)Math.Clamp(inputs.Get(CompressLevel), 0, 9);
        IReadOnlyList<PixelBuffer> frames = AnimatedSaving.Frames(images, "SaveAnimatedPNG");
        context.ThrowIfInterrupted();
        var (path, entry, target) = AnimatedSaving.Target(images, inputs.Get(FilenamePrefix), "png", context);
        byte[] png = AnimatedPng.Encode(frames, delay, level);
        IReadOnlyList<PngTextEntry> metadata = ImageSaver.Metadata(context);
        if (metadata.Count > 0)
        {
            png = PngFile.InsertText(png, metadata);
        }
        File.WriteAllBytes(path, png);
        ImageSaver.Remember(target, target.Counter + 1);
        return ValueTask.FromResult(NodeOutput.UiOnly(AnimatedSaving.Ui(entry, frames.Count)));
    }
}
