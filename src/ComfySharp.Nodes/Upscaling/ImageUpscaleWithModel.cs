using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Upscale;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Upscaling;

/// <summary>Upscales images with an upscale model in overlapping tiles, reporting one progress step per tile.</summary>
public sealed class ImageUpscaleWithModel : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<UpscaleNetwork> UpscaleModel = new("upscale_model", IOTypes.UPSCALE_MODEL);
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageUpscaleWithModel",
        DisplayName = "Upscale Image (using Model)",
        Category = "image/upscaling",
        PythonModule = "comfy_extras.nodes_upscale_model",
        Flavor = NodeFlavor.Schema,
        Required = [UpscaleModel, Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        UpscaleNetwork network = inputs.Get(UpscaleModel);
        Tensor image = inputs.Get(Image);
        ImageTensors.RequireImage(image);
        if (image.shape[3] != network.InChannels)
        {
            throw new InvalidOperationException(
                $"{network} takes images with {network.InChannels} channels; this image has {image.shape[3]}.");
        }
        Tensor result = ImageUpscaling.Run(network, image, (done, total) => context.ReportProgress(done, total),
            cancellationToken: context.CancellationToken);
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
