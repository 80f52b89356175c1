using ComfySharp.Abstractions;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Concatenates two conditioning lists; at sampling time every entry is evaluated and mixed.</summary>
public sealed class ConditioningCombine : ComfyNode
{
    /// <summary>First list.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning1 = new("conditioning_1", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Second list.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning2 = new("conditioning_2", IOTypes.CONDITIONING) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningCombine",
        DisplayName = "Conditioning (Combine)",
        Category = "conditioning",
        Required = [Conditioning1, Conditioning2],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var result = new ConditioningValue(inputs.Get(Conditioning1).Concat(inputs.Get(Conditioning2)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
