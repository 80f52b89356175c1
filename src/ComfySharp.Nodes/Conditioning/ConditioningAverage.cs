using ComfySharp.Abstractions;
using ComfySharp.Diffusion;
using ComfySharp.Diffusion.Sampling;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Blends every entry of one conditioning with the first entry of another.</summary>
public sealed class ConditioningAverage : ComfyNode
{
    /// <summary>The conditioning that is changed.</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningTo = new("conditioning_to", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The conditioning mixed in (first entry only).</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningFrom = new("conditioning_from", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Weight of <c>conditioning_to</c>.</summary>
    public static readonly FloatInput ConditioningToStrength = new("conditioning_to_strength") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningAverage",
        // Registered in the reference under a key with a trailing space, so the display name is the class name.
        DisplayName = "ConditioningAverage",
        Category = "conditioning",
        Required = [ConditioningTo, ConditioningFrom, ConditioningToStrength],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue to = inputs.Get(ConditioningTo);
        ConditioningValue from = inputs.Get(ConditioningFrom);
        double strength = inputs.Get(ConditioningToStrength);
        if (from.Count == 0)
        {
            throw new ArgumentException("conditioning_from is empty.");
        }
        Tensor condFrom = from[0].Embedding;
        var pooledFrom = from[0].Get(ConditioningKeys.PooledOutput) as Tensor;
        var result = new ConditioningValue();
        foreach (ConditioningEntry entry in to)
        {
            Tensor t1 = entry.Embedding;
            var pooledTo = entry.Get(ConditioningKeys.PooledOutput) as Tensor ?? pooledFrom;
            Tensor t0 = condFrom[.., ..(int)Math.Min(t1.shape[1], condFrom.shape[1])];
            if (t0.shape[1] < t1.shape[1])
            {
                t0 = cat([t0, zeros(1, t1.shape[1] - t0.shape[1], t1.shape[2], dtype: t0.dtype)], 1);
            }
            Tensor blended = t1.Mul(strength).Add(t0.Mul(1.0 - strength)).DetachFromDisposeScope();
            ConditioningEntry updated = entry with { Embedding = blended };
            if (pooledFrom is not null && pooledTo is not null)
            {
                updated = updated.With(ConditioningKeys.PooledOutput, pooledTo.Mul(strength).Add(pooledFrom.Mul(1.0 - strength)).DetachFromDisposeScope());
            }
            else if (pooledFrom is not null)
            {
                updated = updated.With(ConditioningKeys.PooledOutput, pooledFrom);
            }
            result.Add(updated);
        }
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
