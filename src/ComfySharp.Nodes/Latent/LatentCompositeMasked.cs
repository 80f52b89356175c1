using ComfySharp.Abstractions;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Pastes one latent into another at a pixel position (multiples of 8), through an optional mask.</summary>
public sealed class LatentCompositeMasked : ComfyNode
{
    /// <summary>The latent pasted into.</summary>
    public static readonly SocketInput<LatentValue> Destination = new("destination", IOTypes.LATENT);
    /// <summary>The latent pasted.</summary>
    public static readonly SocketInput<LatentValue> Source = new("source", IOTypes.LATENT);
    /// <summary>Left edge in pixels.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Top edge in pixels.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Resize the source to the destination first.</summary>
    public static readonly BooleanInput ResizeSource = new("resize_source") { Default = false };
    /// <summary>Where the source shows (resized to the source).</summary>
    public static readonly SocketInput<Tensor> Mask = new("mask", IOTypes.MASK);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentCompositeMasked",
        Category = "latent",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Destination, Source, X, Y, ResizeSource],
        Optional = [Mask],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue destination = inputs.Get(Destination);
        Tensor source = inputs.Get(Source).Samples;
        if (destination.Samples.dim() != 4 || source.dim() != 4 || destination.Samples.shape[1] != source.shape[1])
        {
            throw new NodeException("ValueError", $"LatentCompositeMasked needs two 4-D latents with the same channels; got [{string.Join(", ", destination.Samples.shape)}] and [{string.Join(", ", source.shape)}].");
        }
        Tensor? mask = inputs.HasValue(Mask) ? inputs.Get(Mask) : null;
        using var scope = NewDisposeScope();
        Tensor result = Image.ImageCompositeMasked.Composite(destination.Samples.clone(), source, inputs.Get(X), inputs.Get(Y), mask, 8, inputs.Get(ResizeSource));
        return ValueTask.FromResult(NodeOutput.Of(destination with { Samples = result.MoveToOuterDisposeScope() }));
    }
}
