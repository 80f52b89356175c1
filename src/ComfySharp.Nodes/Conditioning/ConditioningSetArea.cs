using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Conditioning;

/// <summary>Restricts a conditioning to a rectangle given in pixels.</summary>
public sealed class ConditioningSetArea : ComfyNode
{
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING) { OneElementSpec = true };
    /// <summary>Width in pixels.</summary>
    public static readonly IntInput Width = new("width") { Default = 64, Min = 64, Max = 16384, Step = 8 };
    /// <summary>Height in pixels.</summary>
    public static readonly IntInput Height = new("height") { Default = 64, Min = 64, Max = 16384, Step = 8 };
    /// <summary>Left edge in pixels.</summary>
    public static readonly IntInput X = new("x") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Top edge in pixels.</summary>
    public static readonly IntInput Y = new("y") { Default = 0, Min = 0, Max = 16384, Step = 8 };
    /// <summary>Weight of the area.</summary>
    public static readonly FloatInput Strength = new("strength") { Default = 1.0, Min = 0.0, Max = 10.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ConditioningSetArea",
        DisplayName = "Conditioning (Set Area)",
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
        long[] area = [inputs.Get(Height) / 8, inputs.Get(Width) / 8, inputs.Get(Y) / 8, inputs.Get(X) / 8];
        double strength = inputs.Get(Strength);
        var result = new ConditioningValue(inputs.Get(Conditioning).Select(e => e
            .With(ConditioningKeys.Area, area)
            .With(ConditioningKeys.Strength, strength)
            .With(ConditioningKeys.SetAreaToBounds, false)));
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
