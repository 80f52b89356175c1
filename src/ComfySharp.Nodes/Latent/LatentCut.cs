using ComfySharp.Abstractions;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>
/// Keeps <c>amount</c> positions of one latent axis starting at <c>index</c> (negative counts from the
/// end); both are clamped to the axis instead of failing. Mask and batch indices are kept.
/// </summary>
public sealed class LatentCut : ComfyNode
{
    /// <summary>The latent.</summary>
    public static readonly SocketInput<LatentValue> Samples = new("samples", IOTypes.LATENT);
    /// <summary>The axis to cut: width (x), height (y) or the third-from-last axis (t).</summary>
    public static readonly ComboInput Dim = new("dim", ["x", "y", "t"]);
    /// <summary>First position kept; negative counts from the end.</summary>
    public static readonly IntInput Index = new("index") { Default = 0, Min = -16384, Max = 16384, Step = 1 };
    /// <summary>How many positions to keep.</summary>
    public static readonly IntInput Amount = new("amount") { Default = 1, Min = 1, Max = 16384, Step = 1 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LatentCut",
        Category = "latent/advanced",
        PythonModule = "comfy_extras.nodes_latent",
        Flavor = NodeFlavor.Schema,
        Required = [Samples, Dim, Index, Amount],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        LatentValue latent = inputs.Get(Samples);
        Tensor samples = latent.Samples;
        long axis = samples.dim() + LatentAxes.FromEnd(inputs.Get(Dim));
        long index = inputs.Get(Index), amount = inputs.Get(Amount);
        if (axis < 0 || samples.shape[axis] == 0 || amount < 1)
        {
            throw new NodeException("ValueError",
                $"LatentCut cannot cut axis '{inputs.Get(Dim)}' of a latent of shape {ImageTensors.ShapeText(samples)}.");
        }
        long size = samples.shape[axis];
        long start;
        if (index >= 0)
        {
            start = Math.Min(index, size - 1);
            amount = Math.Min(size - start, amount);
        }
        else
        {
            start = Math.Max(index, -size);
            amount = Math.Min(-start, amount);
            start += size;
        }
        using var scope = NewDisposeScope();
        Tensor cut = samples.narrow(axis, start, amount).contiguous();
        return ValueTask.FromResult(NodeOutput.Of(latent with { Samples = cut.MoveToOuterDisposeScope() }));
    }
}
