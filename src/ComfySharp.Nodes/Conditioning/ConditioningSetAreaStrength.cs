using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Sets the weight of every entry of a conditioning (the weight an area is blended with), leaving its area as it is.</summary>
public sealed class ConditioningSetAreaStrength : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>The weight.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningSetAreaStrength",
        Category = "conditioning",
        Required = [Conditioning, Strength],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double strength = inputs.Get(Strength);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e => e.With(ConditioningKeys.Strength, strength)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
