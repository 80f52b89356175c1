using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The GITS schedules (searched σ lists for SD-style models), by coefficient and step count.</summary>
public sealed class GITSScheduler : ComfyNode
{
    /// <summary>Which table (0.80 to 1.50, in steps of 0.05).</summary>
    public static readonly FloatInput Coeff = new("coeff") { Default = 1.2, Min = 0.8, Max = 1.5, Step = 0.05 };
    /// <summary>Steps.</summary>
    public static readonly IntInput Steps = CustomSampling.Steps(10, min: 2, max: 1000);
    /// <summary>Denoising strength: keeps the last round(steps·denoise) steps.</summary>
    public static readonly FloatInput Denoise = new("denoise") { Default = 1.0, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("GITSScheduler", CustomSampling.Schedulers, [Coeff, Steps, Denoise], IOTypes.SIGMAS,
        module: "comfy_extras.nodes_gits");

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double coeff = inputs.Get(Coeff);
        float[] sigmas;
        try
        {
            sigmas = GitsSchedule.Sigmas(coeff, (int)inputs.Get(Steps), inputs.Get(Denoise));
        }
        catch (ArgumentException e)
        {
            throw new NodeException("ValueError", e.Message);
        }
        return ValueTask.FromResult(NodeOutput.Of(sigmas));
    }
}
