using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Euler CFG++: the regular form is KSampler's euler_cfg_pp, the alternative steps along (x − 2·denoised + uncond)/σ.</summary>
public sealed class SamplerEulerCFGpp : ComfyNode
{
    /// <summary>Which form of the step.</summary>
    public static readonly ComboInput Version = new("version", ["regular", "alternative"]);

    private const string Module = "comfy_extras.nodes_advanced_samplers";

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerEulerCFGpp", "_for_testing", [Version], IOTypes.SAMPLER, module: Module) with { DisplayName = "SamplerEulerCFG++", Experimental = true };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        SamplerDefinition sampler = inputs.Get(Version) == "alternative"
            ? CustomSampling.Sampler("euler_cfg_pp_alternative", KDiffusionSamplers.EulerCfgPpAlternative, needsUncond: true)
            : SamplerRegistry.Get("euler_cfg_pp");
        return ValueTask.FromResult(NodeOutput.Of(sampler));
    }
}
