using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Rescales CFG's result to the positive prediction's standard deviation (in v space) and mixes it with plain CFG.</summary>
public sealed class RescaleCFG : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = new("model", IOTypes.MODEL) { OneElementSpec = true };
    /// <summary>Share of the rescaled result (0 = plain CFG).</summary>
    public static readonly FloatInput Multiplier = new("multiplier") { Default = 0.7, Min = 0.0, Max = 1.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "RescaleCFG",
        DisplayName = "RescaleCFG",
        Category = "advanced/model",
        PythonModule = "comfy_extras.nodes_model_advanced",
        Required = [Model, Multiplier],
        Outputs = [new OutputSpec(IOTypes.MODEL)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CfgFunction function = GuidancePatches.RescaleCfg(inputs.Get(Multiplier));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o with { SamplerCfgFunction = function })));
    }
}
