using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>LCM sampling that enlarges the latent step by step up to a total scale.</summary>
public sealed class SamplerLCMUpscale : ComfyNode
{
    /// <summary>The final size as a multiple of the input's.</summary>
    public static readonly FloatInput ScaleRatio = new("scale_ratio") { Default = 1.0, Min = 0.1, Max = 20.0, Step = 0.01 };
    /// <summary>Over how many steps to reach it (−1 = about half the steps).</summary>
    public static readonly IntInput ScaleSteps = new("scale_steps") { Default = -1, Min = -1, Max = 1000, Step = 1 };
    /// <summary>How to resize.</summary>
    public static readonly ComboInput UpscaleMethod = new("upscale_method", ["bislerp", "nearest-exact", "bilinear", "area", "bicubic"]);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerLCMUpscale", CustomSampling.Samplers, [ScaleRatio, ScaleSteps, UpscaleMethod], IOTypes.SAMPLER,
        module: "comfy_extras.nodes_advanced_samplers");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double ratio = inputs.Get(ScaleRatio);
        long steps = inputs.Get(ScaleSteps);
        int? upscaleSteps = steps < 0 ? null : (int)steps;
        string method = inputs.Get(UpscaleMethod);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("lcm_upscale", (c, x, s) => KDiffusionSamplers.LcmUpscale(c, x, s, ratio, method, upscaleSteps))));
    }
}
