using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The σ at a fraction of the model's schedule (0 = start, 1 = end).</summary>
public sealed class SamplingPercentToSigma : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>The fraction of the schedule.</summary>
    public static readonly FloatInput SamplingPercent = new("sampling_percent") { Default = 0.0, Min = 0.0, Max = 1.0, Step = 0.0001 };
    /// <summary>At 0 and 1, return σmax and σmin instead of the sentinels (a huge σ, 0).</summary>
    public static readonly BooleanInput ReturnActualSigma = new("return_actual_sigma") { Default = false };

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplingPercentToSigma", CustomSampling.Sigmas, [Model, SamplingPercent, ReturnActualSigma], IOTypes.FLOAT, "sigma_value");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelSamplingDiscrete sampling = CustomSampling.SamplingOf(inputs.Get(Model));
        double percent = inputs.Get(SamplingPercent);
        double sigma = sampling.PercentToSigma(percent);
        if (inputs.Get(ReturnActualSigma))
        {
            if (percent == 0.0)
            {
                sigma = sampling.SigmaMax;
            }
            else if (percent == 1.0)
            {
                sigma = sampling.SigmaMin;
            }
        }
        return ValueTask.FromResult(NodeOutput.Of(sigma));
    }
}
