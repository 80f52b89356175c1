using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using Schedules = ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.ModelSampling;

/// <summary>
/// Overrides how a model's output is read and which discrete noise table it samples with: ε, v-prediction, LCM's
/// distilled schedule, x0; optionally rescaled to a zero terminal SNR.
/// </summary>
public sealed class ModelSamplingDiscrete : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };

    /// <summary>The prediction type / schedule.</summary>
    public static readonly ComboInput SamplingType = new("sampling", ["eps", "v_prediction", "lcm", "x0", "img_to_img"]) { OneElementSpec = true };

    /// <summary>Zero terminal SNR.</summary>
    public static readonly BooleanInput Zsnr = new("zsnr") { Default = false };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ModelSamplingDiscrete",
        DisplayName = "ModelSamplingDiscrete",
        Category = "advanced/model",
        PythonModule = "comfy_extras.nodes_model_advanced",
        Required = [Model, SamplingType, Zsnr],
        Outputs = [new OutputSpec(IOTypes.MODEL)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelPatcher model = inputs.Get(Model);
        bool zsnr = inputs.Get(Zsnr);
        string type = inputs.Get(SamplingType);
        Schedules.ModelSamplingDiscrete sampling = type switch
        {
            "eps" => new Schedules.ModelSamplingDiscrete(ModelPrediction.Epsilon, zeroTerminalSnr: zsnr),
            "v_prediction" => new Schedules.ModelSamplingDiscrete(ModelPrediction.Velocity, zeroTerminalSnr: zsnr),
            "x0" => new Schedules.ModelSamplingDiscrete(ModelPrediction.Sample, zeroTerminalSnr: zsnr),
            "lcm" => new ModelSamplingDiscreteDistilled(zsnr),
            _ => throw new NotSupportedException($"ModelSamplingDiscrete sampling '{type}' is not supported by this server yet (eps, v_prediction, lcm and x0 are)."),
        };
        return ValueTask.FromResult(NodeOutput.Of(model.WithSampling(sampling)));
    }
}
