using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Seeded Gaussian noise, the same as KSampler draws for the seed.</summary>
public sealed class RandomNoise : ComfyNode
{
    /// <summary>The seed.</summary>
    public static readonly IntInput NoiseSeed = new("noise_seed") { Default = 0, Min = 0, Max = ulong.MaxValue, ControlAfterGenerate = true };

    private static readonly NodeSchema Definition = CustomSampling.Schema("RandomNoise", CustomSampling.Noise, [NoiseSeed], IOTypes.NOISE);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(new RandomNoiseSource(inputs.GetUnsigned(NoiseSeed))));
    }
}
