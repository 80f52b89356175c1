using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The Optimal Steps schedules for flow models, resampled to the step count.</summary>
public sealed class OptimalStepsScheduler : ComfyNode
{
    /// <summary>Which table to use.</summary>
    public static readonly ComboInput ModelType = new("model_type", ["FLUX", "Wan", "Chroma"]);
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps(20, min: 3, max: 1000);
    /// <summary>Denoising strength: keeps the last round(steps·denoise) steps.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("OptimalStepsScheduler", CustomSampling.Schedulers, [ModelType, Steps, Denoise], IOTypes.SIGMAS,
        module: "comfy_extras.nodes_optimalsteps");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.OptimalSteps(inputs.Get(ModelType), (int)inputs.Get(Steps), inputs.Get(Denoise));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
