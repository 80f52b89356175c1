using ComfySharp.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Image;

/// <summary>Returns 1 − image.</summary>
public sealed class ImageInvert : ComfyNode
{
    /// <summary>The images.</summary>
    public static readonly SocketInput<Tensor> Image = new("image", IOTypes.IMAGE) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ImageInvert",
        DisplayName = "Invert Image",
        Category = "image",
        Required = [Image],
        Outputs = [new OutputSpec(IOTypes.IMAGE)],
    };

    // One explicit Scalar for the process: a static root keeps it alive while libtorch reads it, and
    // making (and finalising) a native Scalar per call was a measurable part of a 100-node chain.
    private static readonly Scalar One = 1.0.ToScalar();

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        // TorchSharp does not keep a temporary tensor or an implicitly converted Scalar alive while
        // libtorch uses its handle, so the finalizer thread could free them mid-call (a segfault
        // under load): the scope roots the temporaries and the Scalar is a static that is never freed.
        using var scope = NewDisposeScope();
        Tensor inverted = inputs.Get(Image).neg().add_(One, One);
        return ValueTask.FromResult(NodeOutput.Of(inverted.MoveToOuterDisposeScope()));
    }
}
