using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Reverses a σ list (for inversion); a leading 0 becomes 0.0001 so the first step has noise.</summary>
public sealed class FlipSigmas : ComfyNode
{
    /// <summary>The smallest first σ of a flipped list.</summary>
    public const float FirstSigmaFloor = 0.0001f;

    /// <summary>The σ list.</summary>
    public static readonly SocketInput<float[]> Sigmas = CustomSampling.SigmasInput();

    private static readonly NodeSchema Definition = CustomSampling.Schema("FlipSigmas", CustomSampling.Sigmas, [Sigmas], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] flipped = inputs.Get(Sigmas).Reverse().ToArray();
        if (flipped.Length > 0 && flipped[0] == 0f)
        {
            flipped[0] = FirstSigmaFloor;
        }
        return ValueTask.FromResult(NodeOutput.Of(flipped));
    }
}
