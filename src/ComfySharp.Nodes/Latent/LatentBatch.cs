using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Joins two latent batches (the second resized bilinearly, centre-cropped, to the first's size); batch indices are kept.</summary>
public sealed class LatentBatch : ComfyNode
{
    /// <summary>First batch.</summary>
    public static readonly SocketInput<LatentValue> Samples1 = new("samples1", IOTypes.LATENT);
    /// <summary>Second batch.</summary>
    public static readonly SocketInput<LatentValue> Samples2 = new("samples2", IOTypes.LATENT);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentBatch",
        Category = "latent/batch",
        PythonModule = "comfy_extras.nodes_latent",
        Flavor = NodeFlavor.Schema,
        Deprecated = true,
        Required = [Samples1, Samples2],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue first = inputs.Get(Samples1), second = inputs.Get(Samples2);
        Tensor s1 = first.Samples, s2 = second.Samples;
        if (s1.dim() != 4 || s2.dim() != 4 || s1.shape[1] != s2.shape[1])
        {
            throw new NodeException("ValueError", $"LatentBatch needs two 4-D latents with the same channels; got [{string.Join(", ", s1.shape)}] and [{string.Join(", ", s2.shape)}].");
        }
        using var scope = NewDisposeScope();
        if (s2.shape[2] != s1.shape[2] || s2.shape[3] != s1.shape[3])
        {
            s2 = Resampling.CommonUpscale(s2, s1.shape[3], s1.shape[2], "bilinear", "center");
        }
        Tensor joined = cat([s1, s2.to_type(s1.dtype)], 0);
        IEnumerable<long> Indices(LatentValue l) => l.BatchIndex ?? Enumerable.Range(0, (int)l.Samples.shape[0]).Select(i => (long)i);
        var result = first with { Samples = joined.MoveToOuterDisposeScope(), BatchIndex = [.. Indices(first), .. Indices(second)] };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
