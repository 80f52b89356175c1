using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;

namespace ComfySharp.Nodes.Image;

/// <summary>
/// LoadImage over the output directory: the frontend fills the list from <c>/internal/files/output</c>
/// (newest first). Names without an annotation are looked up in the output directory; annotated names
/// (<c>"x.png [input]"</c>) in the directory they name.
/// </summary>
public sealed class LoadImageOutput : ComfyNode
{
    /// <summary>The file name; its options come from the frontend's remote request, not from this schema.</summary>
    public static readonly AnyInput Image = new("image", IOTypes.COMBO)
    {
        ExtraOptions = new JsonObject
        {
            ["image_upload"] = true,
            ["image_folder"] = "output",
            ["remote"] = new JsonObject
            {
                ["route"] = "/internal/files/output",
                ["refresh_button"] = true,
                ["control_after_refresh"] = "first",
            },
        },
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoadImageOutput",
        DisplayName = "Load Image (from Outputs)",
        Category = "image",
        Description = "Loads an image from the output folder; the refresh button re-reads the folder and picks the newest image.",
        Experimental = true,
        Required = [Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE), new OutputSpec(IOTypes.MASK)],
        Validation = new ValidationSignature(["image"]),
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasFingerprint => true;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string name = NameOf(inputs.Get(Image));
        string path = ImageFiles.ResolveOrThrow(context.Services, name, DirectoryKind.Output);
        var decoded = ImageFiles.Decode(path, name, context.Services, allFrames: true);
        var (images, masks) = ImageFiles.FramesToTensors(decoded);
        return ValueTask.FromResult(NodeOutput.Of(images, masks));
    }

    /// <inheritdoc />
    public override ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        return ImageFiles.HashAsync(services, ConstantName(constants), DirectoryKind.Output);
    }

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        return ValueTask.FromResult(ImageFiles.Validate(services, ConstantName(constants), DirectoryKind.Output));
    }

    /// <summary>The full path of a name (unannotated: the output directory), or null when it escapes its directory or is missing.</summary>
    public static string? Resolve(IServiceProvider services, string name) => ImageFiles.Resolve(services, name, DirectoryKind.Output);

    private static string? ConstantName(NodeInputs constants) => constants.HasValue(Image) ? NameOf(constants.Get(Image)) : null;

    private static string NameOf(object? value) => value as string
        ?? throw new ArgumentException($"LoadImageOutput: 'image' must be a file name, not {value?.GetType().Name ?? "null"}.");
}
