using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Joins two latents along width (x), height (y) or the third-from-last axis (t; the channels of an
/// image latent). A leading minus puts the second latent first. The second latent's batch is cut or
/// tiled to the first's; the first latent's mask and batch indices are kept.
/// </summary>
public sealed class LatentConcat : ComfyNode
{
    /// <summary>The first latent.</summary>
    public static readonly SocketInput<LatentValue> Samples1 = new("samples1", IOTypes.LATENT);
    /// <summary>The second latent.</summary>
    public static readonly SocketInput<LatentValue> Samples2 = new("samples2", IOTypes.LATENT);
    /// <summary>The axis to join along, optionally reversed.</summary>
    public static readonly ComboInput Dim = new("dim", ["x", "-x", "y", "-y", "t", "-t"]);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentConcat",
        Category = "latent/advanced",
        PythonModule = "comfy_extras.nodes_latent",
        Flavor = NodeFlavor.Schema,
        Required = [Samples1, Samples2, Dim],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        LatentValue first = inputs.Get(Samples1);
        Tensor s1 = first.Samples, s2 = inputs.Get(Samples2).Samples;
        string dim = inputs.Get(Dim);
        long axis = LatentAxes.FromEnd(dim);
        if (s1.dim() != s2.dim() || s1.dim() < -axis || s1.shape[0] == 0 || s2.shape[0] == 0)
        {
            throw new NodeException("ValueError",
                $"LatentConcat cannot join latents of shapes {ImageTensors.ShapeText(s1)} and {ImageTensors.ShapeText(s2)} along '{dim}'.");
        }
        long at = s1.dim() + axis;
        for (int d = 1; d < s1.dim(); d++)
        {
            if (d != at && s1.shape[d] != s2.shape[d])
            {
                throw new NodeException("ValueError",
                    $"LatentConcat needs every axis but '{dim}' to match; got {ImageTensors.ShapeText(s1)} and {ImageTensors.ShapeText(s2)}.");
            }
        }
        long[] outShape = [.. s1.shape];
        outShape[at] += s2.shape[at];
        SizeLimits.EnsureAllocatable(context.Services, "LatentConcat", outShape);
        using var scope = NewDisposeScope();
        Tensor second = CfgGuider.RepeatToBatch(s2, s1.shape[0]);
        Tensor joined = dim.StartsWith('-') ? cat([second, s1], at) : cat([s1, second], at);
        return ValueTask.FromResult(NodeOutput.Of(first with { Samples = joined.MoveToOuterDisposeScope() }));
    }
}
