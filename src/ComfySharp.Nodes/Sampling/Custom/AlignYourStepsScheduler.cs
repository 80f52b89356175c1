using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>NVIDIA's Align Your Steps schedules, resampled to the step count.</summary>
public sealed class AlignYourStepsScheduler : ComfyNode
{
    /// <summary>Which table to use.</summary>
    public static readonly ComboInput ModelType = new("model_type", ["SD1", "SDXL", "SVD"]);
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps(10);
    /// <summary>Denoising strength: keeps the last round(steps·denoise) steps.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("AlignYourStepsScheduler", CustomSampling.Schedulers, [ModelType, Steps, Denoise], IOTypes.SIGMAS,
        module: "comfy_extras.nodes_align_your_steps");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.AlignYourSteps(inputs.Get(ModelType), (int)inputs.Get(Steps), inputs.Get(Denoise));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
