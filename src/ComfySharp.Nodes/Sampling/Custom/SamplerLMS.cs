using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Linear multistep with its order.</summary>
public sealed class SamplerLMS : ComfyNode
{
    /// <summary>How many past derivatives the step uses.</summary>
    public static readonly IntInput Order = new("order") { Default = 4, Min = 1, Max = 100 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerLMS", CustomSampling.Samplers, [Order], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int order = (int)inputs.Get(Order);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("lms", (c, x, s) => KDiffusionSamplers.Lms(c, x, s, order))));
    }
}
