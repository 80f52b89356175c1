using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Replaces every embedding and pooled output by zeros of the same shape.</summary>
public sealed class ConditioningZeroOut : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningZeroOut",
        Category = "advanced/conditioning",
        Required = [Conditioning],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e =>
        {
            var zeroed = e with { Embedding = zeros_like(e.Embedding).DetachFromDisposeScope(), Options = new Dictionary<string, object?>(e.Options) };
            return e.Get(ConditioningKeys.PooledOutput) is Tensor pooled
                ? zeroed.With(ConditioningKeys.PooledOutput, zeros_like(pooled).DetachFromDisposeScope())
                : zeroed;
        }));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
