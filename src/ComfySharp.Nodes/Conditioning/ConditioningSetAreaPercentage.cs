using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Restricts a conditioning to a rectangle given as fractions of the image.</summary>
public sealed class ConditioningSetAreaPercentage : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Width fraction.</summary>
    public static readonly FloatInput Width = new("width") { Default = 1.0, Min = 0, Max = 1.0, Step = 0.01 };
    /// <summary>Height fraction.</summary>
    public static readonly FloatInput Height = new("height") { Default = 1.0, Min = 0, Max = 1.0, Step = 0.01 };
    /// <summary>Left fraction.</summary>
    public static readonly FloatInput X = new("x") { Default = 0, Min = 0, Max = 1.0, Step = 0.01 };
    /// <summary>Top fraction.</summary>
    public static readonly FloatInput Y = new("y") { Default = 0, Min = 0, Max = 1.0, Step = 0.01 };
    /// <summary>Weight of the area.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningSetAreaPercentage",
        DisplayName = "Conditioning (Set Area with Percentage)",
        Category = "conditioning",
        Required = [Conditioning, Width, Height, X, Y, Strength],
        Outputs = [new OutputSpec(IOTypes.CONDITIONING)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var area = new PercentageArea(inputs.Get(Height), inputs.Get(Width), inputs.Get(Y), inputs.Get(X));
        double strength = inputs.Get(Strength);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e => e
            .With(ConditioningKeys.Area, area)
            .With(ConditioningKeys.Strength, strength)
            .With(ConditioningKeys.SetAreaToBounds, false)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
