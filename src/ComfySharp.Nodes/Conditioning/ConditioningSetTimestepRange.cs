using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Limits a conditioning to a fraction of the sampling schedule.</summary>
public sealed class ConditioningSetTimestepRange : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Start fraction (0 = first step).</summary>
    public static readonly FloatInput Start = new("start") { Default = 0.0, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>End fraction (1 = last step).</summary>
    public static readonly FloatInput End = new("end") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.001 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningSetTimestepRange",
        Category = "advanced/conditioning",
        Required = [Conditioning, Start, End],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double start = inputs.Get(Start), end = inputs.Get(End);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e => e
            .With(ConditioningKeys.StartPercent, start)
            .With(ConditioningKeys.EndPercent, end)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
