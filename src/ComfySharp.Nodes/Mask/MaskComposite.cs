using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Mask;

/// <summary>Combines <c>source</c> into a copy of <c>destination</c> on the overlap starting at (x, y); the result is clamped to 0..1.</summary>
public sealed class MaskComposite : ComfyNode
{
    /// <summary>The operations in the reference's order.</summary>
    public static readonly IReadOnlyList<string> Operations = ["multiply", "add", "subtract", "and", "or", "xor"];

    /// <summary>The base mask.</summary>
    public static readonly SocketInput<Tensor> Destination = new("destination", IOTypes.MASK);
    /// <summary>The combined mask.</summary>
    public static readonly SocketInput<Tensor> Source = new("source", IOTypes.MASK);
    /// <summary>Left edge.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>Top edge.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 1 };
    /// <summary>The operation.</summary>
    public static readonly ComboInput Operation = new("operation", Operations);

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "MaskComposite",
        Category = "mask",
        PythonModule = "comfy_extras.nodes_mask",
        Flavor = NodeFlavor.Schema,
        Required = [Destination, Source, X, Y, Operation],
        Outputs = [new OutputSpec(IOTypes.MASK)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor output = ImageTensors.AsMaskBatch(inputs.Get(Destination)).clone();
        Tensor source = ImageTensors.AsMaskBatch(inputs.Get(Source));
        long left = inputs.Get(X), top = inputs.Get(Y);
        long right = Math.Min(left + source.shape[^1], output.shape[^1]);
        long bottom = Math.Min(top + source.shape[^2], output.shape[^2]);
        long width = right - left, height = bottom - top;
        if (width > 0 && height > 0)
        {
            if (source.shape[0] != output.shape[0] && source.shape[0] != 1)
            {
                throw new ArgumentException($"MaskComposite: a batch of {source.shape[0]} source masks cannot be combined into {output.shape[0]} destination masks.");
            }
            Tensor sourcePart = source.narrow(1, 0, height).narrow(2, 0, width);
            Tensor region = output.narrow(1, top, height).narrow(2, left, width);
            string operation = inputs.Get(Operation);
            Tensor combined = operation switch
            {
                "multiply" => region * sourcePart,
                "add" => region.Add(sourcePart),
                "subtract" => region - sourcePart,
                "and" => region.round().to(ScalarType.Bool).bitwise_and(sourcePart.round().to(ScalarType.Bool)).to(ScalarType.Float32),
                "or" => region.round().to(ScalarType.Bool).bitwise_or(sourcePart.round().to(ScalarType.Bool)).to(ScalarType.Float32),
                "xor" => region.round().to(ScalarType.Bool).bitwise_xor(sourcePart.round().to(ScalarType.Bool)).to(ScalarType.Float32),
                _ => throw new ArgumentException($"Unknown operation '{operation}'."),
            };
            region.copy_(combined);
        }
        return ValueTask.FromResult(NodeOutput.Of(output.Clamp(0.0, 1.0).MoveToOuterDisposeScope()));
    }
}
