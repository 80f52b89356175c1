using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The σ list of one of KSampler's schedulers for a model, shortened for partial denoising.</summary>
public sealed class BasicScheduler : ComfyNode
{
    /// <summary>The model whose noise schedule is used.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>The scheduler.</summary>
    public static readonly ComboInput Scheduler = new("scheduler", Schedulers.Names);
    /// <summary>Steps to run.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps();
    /// <summary>Denoising strength.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("BasicScheduler", CustomSampling.Schedulers, [Model, Scheduler, Steps, Denoise], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int steps = (int)inputs.Get(Steps);
        double denoise = inputs.Get(Denoise);
        float[] sigmas = Calculate(CustomSampling.SamplingOf(inputs.Get(Model)), inputs.Get(Scheduler), steps, denoise);
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }

    /// <summary>⌊steps / denoise⌋ steps of the schedule, the last steps + 1 values kept; none at denoise ≤ 0.</summary>
    public static float[] Calculate(ModelSamplingDiscrete sampling, string scheduler, int steps, double denoise)
    {
        int totalSteps = steps;
        if (denoise < 1.0)
        {
            if (denoise <= 0.0)
            {
                return [];
            }
            totalSteps = (int)(steps / denoise);
        }
        float[] sigmas = Schedulers.Calculate(sampling, scheduler, totalSteps);
        return sigmas[Math.Max(0, sigmas.Length - (steps + 1))..];
    }
}
