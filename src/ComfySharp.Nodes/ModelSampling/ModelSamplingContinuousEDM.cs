using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.ModelSampling;

/// <summary>A continuous EDM noise schedule between sigma_min and sigma_max, reading the output as v, EDM or ε.</summary>
public sealed class ModelSamplingContinuousEDM : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };

    /// <summary>The prediction type.</summary>
    public static readonly ComboInput SamplingType = new("sampling", ["v_prediction", "edm", "edm_playground_v2.5", "eps", "cosmos_rflow"]) { OneElementSpec = true };

    /// <summary>Largest σ.</summary>
    public static readonly FloatInput SigmaMax = new("sigma_max") { Default = 120.0, Min = 0.0, Max = 1000.0, Step = 0.001, RoundDisabled = true };

    /// <summary>Smallest σ.</summary>
    public static readonly FloatInput SigmaMin = new("sigma_min") { Default = 0.002, Min = 0.0, Max = 1000.0, Step = 0.001, RoundDisabled = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ModelSamplingContinuousEDM",
        DisplayName = "ModelSamplingContinuousEDM",
        Category = "advanced/model",
        PythonModule = "comfy_extras.nodes_model_advanced",
        Required = [Model, SamplingType, SigmaMax, SigmaMin],
        Outputs = [new OutputSpec(IOTypes.MODEL)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string type = inputs.Get(SamplingType);
        ModelPrediction prediction = type switch
        {
            "v_prediction" => ModelPrediction.Velocity,
            "edm" => ModelPrediction.Edm,
            "eps" => ModelPrediction.Epsilon,
            _ => throw new NotSupportedException($"ModelSamplingContinuousEDM sampling '{type}' is not supported by this server yet (v_prediction, edm and eps are)."),
        };
        var sampling = ModelSamplingContinuous.Edm(prediction, inputs.Get(SigmaMin), inputs.Get(SigmaMax));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithSampling(sampling)));
    }
}
