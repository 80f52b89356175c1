using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Writes the images into the temp directory for display; each node instance keeps its own random file prefix.</summary>
public sealed class PreviewImage : ComfyNode
{
    /// <summary>zlib level of preview PNGs (fast).</summary>
    public const int CompressionLevel = 1;

    /// <summary>The reference's alphabet for the random suffix: no <c>w</c>, two <c>p</c>s.</summary>
    public const string SuffixAlphabet = "abcdefghijklmnopqrstupvxyz";

    /// <summary>The images to preview.</summary>
    public static readonly SocketInput<Tensor> Images = new("images", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PreviewImage",
        DisplayName = "Preview Image",
        Category = "image",
        Description = "Shows the images; they are written to the temp directory, which is emptied when the server starts and stops.",
        OutputNode = true,
        Required = [Images],
        Hidden = [new HiddenInput("prompt", HiddenKind.PROMPT), new HiddenInput("extra_pnginfo", HiddenKind.EXTRA_PNGINFO)],
        Outputs = [],
    };

    /// <summary>Creates an instance with its own random prefix.</summary>
    public PreviewImage()
    {
        Span<char> letters = stackalloc char[5];
        for (int i = 0; i < letters.Length; i++)
        {
            letters[i] = SuffixAlphabet[Random.Shared.Next(SuffixAlphabet.Length)];
        }
        Prefix = "ComfyUI_temp_" + new string(letters);
    }

    /// <summary>The file-name prefix this instance uses (<c>ComfyUI_temp_</c> + 5 letters).</summary>
    public string Prefix { get; }

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var directories = context.GetService<ComfyDirectories>();
        var ui = ImageSaver.Save(inputs.Get(Images), Prefix, directories.Temp, "temp", CompressionLevel, context, deferWrite: true);
        return ValueTask.FromResult(NodeOutput.UiOnly(ui));
    }
}
