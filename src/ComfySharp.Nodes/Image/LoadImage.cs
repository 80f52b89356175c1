using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Image;

/// <summary>Loads an image file from the input directory as an IMAGE batch (all frames of one size) and its transparency MASK.</summary>
public sealed class LoadImage : ComfyNode
{
    /// <summary>The file: image files directly in the input directory, listed afresh on every request.</summary>
    public static readonly ComboInput Image = new("image", ImageFiles.ListInputImages) { ImageUpload = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoadImage",
        DisplayName = "Load Image",
        Category = "image",
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
        string name = inputs.Get(Image);
        string path = ImageFiles.ResolveOrThrow(context.Services, name);
        var decoded = ImageFiles.Decode(path, name, context.Services, allFrames: true);
        var (images, masks) = ImageFiles.FramesToTensors(decoded);
        return ValueTask.FromResult(NodeOutput.Of(images, masks));
    }

    /// <inheritdoc />
    public override ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        return ImageFiles.HashAsync(services, ImageFiles.ConstantName(constants, Image));
    }

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        return ValueTask.FromResult(ImageFiles.Validate(services, ImageFiles.ConstantName(constants, Image)));
    }
}
