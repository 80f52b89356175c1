using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.ModelSampling;

/// <summary>A continuous v-prediction schedule (timestep 2·atan(σ)/π) between sigma_min and sigma_max.</summary>
public sealed class ModelSamplingContinuousV : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };

    /// <summary>The prediction type (only v).</summary>
    public static readonly ComboInput SamplingType = new("sampling", ["v_prediction"]) { OneElementSpec = true };

    /// <summary>Largest σ.</summary>
    public static readonly FloatInput SigmaMax = new("sigma_max") { Default = 500.0, Min = 0.0, Max = 1000.0, Step = 0.001, RoundDisabled = true };

    /// <summary>Smallest σ.</summary>
    public static readonly FloatInput SigmaMin = new("sigma_min") { Default = 0.03, Min = 0.0, Max = 1000.0, Step = 0.001, RoundDisabled = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "ModelSamplingContinuousV",
        DisplayName = "ModelSamplingContinuousV",
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
        var sampling = ModelSamplingContinuous.V(inputs.Get(SigmaMin), inputs.Get(SigmaMax));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithSampling(sampling)));
    }
}
