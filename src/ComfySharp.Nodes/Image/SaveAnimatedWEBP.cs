using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// Writes the whole batch as one animated WebP into the output directory. Like the reference, the prompt
/// goes into the EXIF tag 0x0110 as <c>prompt:JSON</c> and each <c>extra_pnginfo</c> entry into the tags
/// below 0x010F as <c>key:JSON</c> (the frontend reads them back).
/// </summary>
public sealed class SaveAnimatedWEBP : ComfyNode
{
    /// <summary>The EXIF tag of the prompt (Model).</summary>
    public const ushort PromptTag = 0x0110;

    /// <summary>The EXIF tag of the first <c>extra_pnginfo</c> entry (Make); later entries count down.</summary>
    public const ushort FirstExtraTag = 0x010F;

    /// <summary>The frames.</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE);

    /// <summary>File-name prefix, may name a subfolder.</summary>
    public static readonly StringInput FilenamePrefix = new("filename_prefix") { Default = "ComfyUI", ExplicitSingleLine = true };

    /// <summary>Frames per second.</summary>
    public static readonly FloatInput Fps = new("fps") { Default = 6.0, Min = 0.01, Max = 1000.0, Step = 0.01 };

    /// <summary>Lossless frames (quality then only trades size for encoding effort).</summary>
    public static readonly BooleanInput Lossless = new("lossless") { Default = true };

    /// <summary>Lossy quality, 0–100.</summary>
    public static readonly IntInput Quality = new("quality") { Default = 80, Min = 0, Max = 100 };

    /// <summary>libwebp's effort setting in the reference (0, 4, 6); Skia chooses its own effort (see docs/api-compatibility.md).</summary>
    public static readonly ComboInput Method = new("method", ["default", "fastest", "slowest"]);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "SaveAnimatedWEBP",
        Category = "image/animation",
        PythonModule = "comfy_extras.nodes_images",
        Flavor = NodeFlavor.Schema,
        OutputNode = true,
        Required = [Images, FilenamePrefix, Fps, Lossless, Quality, Method],
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
        int quality = (int)Math.Clamp(inputs.Get(Quality), 0, 100);
        IReadOnlyList<PixelBuffer> frames = AnimatedSaving.Frames(images, "SaveAnimatedWEBP");
        var tags = new Dictionary<ushort, string>();
        IReadOnlyList<PngTextEntry> metadata = ImageSaver.Metadata(context);
        // The prompt (when there is one) comes first; the extra_pnginfo entries follow in order.
        int extras = 0;
        for (int i = 0; i < metadata.Count; i++)
        {
            bool isPrompt = i == 0 && context.Prompt is not null;
            ushort tag = isPrompt ? PromptTag : (ushort)(FirstExtraTag - extras++);
            tags[tag] = $"{metadata[i].Keyword}:{metadata[i].Text}";
        }
        context.ThrowIfInterrupted();
        var (path, fileEntry, target) = AnimatedSaving.Target(images, inputs.Get(FilenamePrefix), "webp", context);
        byte[] webp = AnimatedWebp.Encode(frames, delay, inputs.Get(Lossless), quality, AnimatedWebp.ExifAsciiTags(tags));
        File.WriteAllBytes(path, webp);
        ImageSaver.Remember(target, target.Counter + 1);
        return ValueTask.FromResult(NodeOutput.UiOnly(AnimatedSaving.Ui(fileEntry, frames.Count)));
    }
}
