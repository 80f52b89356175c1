using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Joins 2–50 mask batches into one, each resized (bilinear, centre crop) to the first one's size.</summary>
public sealed class BatchMasksNode : ComfyNode
{
    /// <summary>The grown sockets <c>masks.mask0</c>, <c>masks.mask1</c>, …</summary>
    public static readonly AutogrowInput<Tensor> Masks = new("masks", "mask", 2, 50, name => new SocketInput<Tensor>(name, IOTypes.MASK));

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "BatchMasksNode",
        DisplayName = "Batch Masks",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Masks],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<Tensor> given = Masks.Values(inputs);
        if (given.Count == 0)
        {
            throw new ArgumentException("BatchMasksNode: no masks are connected.");
        }
        using var scope = NewDisposeScope();
        var masks = given.Select(ImageTensors.AsMaskBatch).ToList();
        Tensor first = masks[0];
        var resized = masks.Select(mask => mask.shape[1] == first.shape[1] && mask.shape[2] == first.shape[2]
            ? mask
            : Resampling.CommonUpscale(mask.unsqueeze(1), first.shape[2], first.shape[1], "bilinear", "center").squeeze(1)).ToList();
        return ValueTask.FromResult(NodeOutput.Of(cat(resized, 0).MoveToOuterDisposeScope()));
    }
}
