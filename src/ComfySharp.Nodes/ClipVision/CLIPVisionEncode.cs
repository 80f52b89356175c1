using ComfySharp.Abstractions;
using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.ClipVision;

/// <summary>Encodes images with a CLIP vision tower after the reference's preprocessing (resize, optional centre crop, CLIP mean/std).</summary>
public sealed class CLIPVisionEncode : ComfyNode
{
    /// <summary>The crop modes.</summary>
    public static readonly IReadOnlyList<string> CropModes = ["center", "none"];

    /// <summary>The tower.</summary>
    public static readonly SocketInput<ClipVisionModel> ClipVision = new("clip_vision", "CLIP_VISION") { OneElementSpec = true };
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };
    /// <summary>Centre crop (keeps the aspect ratio) or squash to a square.</summary>
    public static readonly ComboInput Crop = new("crop", CropModes) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "CLIPVisionEncode",
        DisplayName = "CLIP Vision Encode",
        Category = "conditioning",
        Required = [ClipVision, Image, Crop],
        Outputs = [new OutputSpec("CLIP_VISION_OUTPUT")],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ClipVisionModel model = inputs.Get(ClipVision);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        using var scope = NewDisposeScope();
        Tensor pixels = ClipVisionPreprocess.Apply(image, model.Config.ImageSize, inputs.Get(Crop) == "center");
        ClipVisionOutput output = model.Encode(pixels);
        output.LastHiddenState.MoveToOuterDisposeScope();
        output.PenultimateHiddenStates.MoveToOuterDisposeScope();
        output.ImageEmbeds.MoveToOuterDisposeScope();
        return ValueTask.FromResult(NodeOutput.Of(output));
    }
}
