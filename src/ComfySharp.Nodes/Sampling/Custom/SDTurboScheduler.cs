using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>SD-Turbo's few-step schedule on the timesteps 999, 899, … 99.</summary>
public sealed class SDTurboScheduler : ComfyNode
{
    /// <summary>The model whose noise schedule is used.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Steps (1–10).</summary>
    public static readonly IntInput Steps = CustomSampling.Steps(1, 1, 10);
    /// <summary>Denoising strength: skips the first 10 − ⌊10·denoise⌋ timesteps.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("SDTurboScheduler", CustomSampling.Schedulers, [Model, Steps, Denoise], IOTypes.SIGMAS);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] sigmas = CustomSchedules.SdTurbo(CustomSampling.SamplingOf(inputs.Get(Model)), (int)inputs.Get(Steps), inputs.Get(Denoise));
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
