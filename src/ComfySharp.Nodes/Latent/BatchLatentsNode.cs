using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Joins 2–50 latents into one batch: each is resized (bilinear, centre crop) to the first one's size, the
/// first one's other entries are kept, and the batch indices are concatenated.
/// </summary>
public sealed class BatchLatentsNode : ComfyNode
{
    /// <summary>The grown sockets <c>latents.latent0</c>, <c>latents.latent1</c>, …</summary>
    public static readonly AutogrowInput<LatentValue> Latents = new("latents", "latent", 2, 50, name => new SocketInput<LatentValue>(name, IOTypes.LATENT));

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "BatchLatentsNode",
        DisplayName = "Batch Latents",
        Category = "latent",
        PythonModule = "comfy_extras.nodes_post_processing",
        Flavor = NodeFlavor.Schema,
        Required = [Latents],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        IReadOnlyList<LatentValue> latents = Latents.Values(inputs);
        if (latents.Count == 0)
        {
            throw new ArgumentException("BatchLatentsNode: no latents are connected.");
        }
        LatentValue first = latents[0];
        Tensor target = first.Samples;
        using var scope = NewDisposeScope();
        var tensors = new List<Tensor>();
        var indices = new List<long>();
        foreach (LatentValue latent in latents)
        {
            Tensor samples = latent.Samples;
            if (samples.dim() != target.dim() || samples.shape[1] != target.shape[1])
            {
                throw new ArgumentException($"BatchLatentsNode: latents of shapes [{string.Join(", ", target.shape)}] and [{string.Join(", ", samples.shape)}] cannot be batched (different channels).");
            }
            if (!samples.shape.AsSpan(2).SequenceEqual(target.shape.AsSpan(2)))
            {
                if (samples.dim() != 4)
                {
                    throw new ArgumentException($"BatchLatentsNode: only 4-D latents of different sizes can be resized; got [{string.Join(", ", samples.shape)}].");
                }
                samples = Resampling.CommonUpscale(samples, target.shape[3], target.shape[2], "bilinear", "center");
            }
            tensors.Add(samples.to_type(target.dtype));
            indices.AddRange(latent.BatchIndex ?? Enumerable.Range(0, (int)latent.Samples.shape[0]).Select(i => (long)i));
        }
        var result = first with { Samples = cat(tensors, 0).MoveToOuterDisposeScope(), BatchIndex = indices };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
