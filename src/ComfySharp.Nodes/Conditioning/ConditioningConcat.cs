using ComfySharp.Abstractions;
using static TorchSharp.torch;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Appends the first entry of one conditioning to every entry of another along the token axis.</summary>
public sealed class ConditioningConcat : ComfyNode
{
    /// <summary>The conditioning extended.</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningTo = new("conditioning_to", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The tokens appended (first entry only).</summary>
    public static readonly SocketInput<ConditioningValue> ConditioningFrom = new("conditioning_from", IOTypes.CONDITIONING) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningConcat",
        DisplayName = "Conditioning (Concat)",
        Category = "conditioning",
        Required = [ConditioningTo, ConditioningFrom],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ConditioningValue from = inputs.Get(ConditioningFrom);
        if (from.Count == 0)
        {
            throw new ArgumentException("conditioning_from is empty.");
        }
        Tensor condFrom = from[0].Embedding;
        var result = new ConditioningValue(inputs.Get(ConditioningTo).Select(entry =>
            entry with { Embedding = cat([entry.Embedding, condFrom], 1).DetachFromDisposeScope(), Options = new Dictionary<string, object?>(entry.Options) }));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
