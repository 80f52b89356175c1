using ComfySharp.Abstractions;
using ComfySharp.Nodes.Image;

namespace ComfySharp.Nodes.Mask;

/// <summary>Loads one channel of an image file (first frame) as a [1, H, W] MASK; alpha is inverted.</summary>
public sealed class LoadImageMask : ComfyNode
{
    /// <summary>The channels in the order the reference lists them.</summary>
    public static readonly IReadOnlyList<string> Channels = ["alpha", "red", "green", "blue"];

    /// <summary>The file: every file directly in the input directory.</summary>
    public static readonly ComboInput Image = new("image", ImageFiles.ListInputFiles) { ImageUpload = true };

    /// <summary>Which channel becomes the mask.</summary>
    public static readonly ComboInput Channel = new("channel", Channels) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoadImageMask",
        DisplayName = "Load Image (as Mask)",
        Category = "mask",
        Required = [Image, Channel],
        Outputs = [new OutputSpec(IOTypes.MASK)],
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
        string channel = inputs.Get(Channel);
        int index = channel switch
        {
            "red" => 0,
            "green" => 1,
            "blue" => 2,
            "alpha" => 3,
            _ => throw new ArgumentException($"Unknown channel '{channel}'."),
        };
        string path = ImageFiles.ResolveOrThrow(context.Services, name);
        var decoded = ImageFiles.Decode(path, name, context.Services, allFrames: false);
        var mask = ImageFiles.ChannelMask(decoded.Frames[0].Rgba, index, invert: index == 3);
        return ValueTask.FromResult(NodeOutput.Of(mask));
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
