using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>One of KSampler's samplers, with its default options.</summary>
public sealed class KSamplerSelect : ComfyNode
{
    /// <summary>The sampler.</summary>
    public static readonly ComboInput SamplerName = new("sampler_name", SamplerRegistry.Names);

    private static readonly NodeSchema Definition = CustomSampling.Schema("KSamplerSelect", CustomSampling.Samplers, [SamplerName], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(SamplerRegistry.Get(inputs.Get(SamplerName))));
    }
}
