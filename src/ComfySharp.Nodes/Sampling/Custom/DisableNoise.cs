using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>No initial noise: sampling starts from the latent as it is.</summary>
public sealed class DisableNoise : ComfyNode
{
    private static readonly NodeSchema Definition = CustomSampling.Schema("DisableNoise", CustomSampling.Noise, [], IOTypes.NOISE);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of(new EmptyNoiseSource()));
}
