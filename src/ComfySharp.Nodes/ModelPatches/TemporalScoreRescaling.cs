using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Patches;

namespace ComfySharp.Nodes.ModelPatches;

/// <summary>Temporal score rescaling: scales the model's score by a σ-dependent ratio to steer sampling diversity.</summary>
public sealed class TemporalScoreRescaling : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = PatchSupport.Model();
    /// <summary>Rescaling strength (1 = off).</summary>
    public static readonly FloatInput TsrK = new("tsr_k") { Default = 0.95, Min = 0.01, Max = 100.0, Step = 0.001, Display = "number", Tooltip = "Rescaling strength: lower gives more detail, higher smoother images; 1 turns it off." };
    /// <summary>How early rescaling acts.</summary>
    public static readonly FloatInput TsrSigma = new("tsr_sigma") { Default = 1.0, Min = 0.01, Max = 100.0, Step = 0.001, Display = "number", Tooltip = "How early rescaling takes effect: larger acts earlier." };

    private static readonly NodeSchema Definition = PatchSupport.Schema("TemporalScoreRescaling", "model_patches/unet", "comfy_extras.nodes_eps", [Model, TsrK, TsrSigma], "patched_model")
        with { DisplayName = "TSR - Temporal Score Rescaling", Description = "A post-CFG function that rescales the model's score to steer sampling diversity." };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        PostCfgFunction function = GuidancePatches.TemporalScoreRescaling(inputs.Get(TsrK), inputs.Get(TsrSigma));
        return ValueTask.FromResult(NodeOutput.Of(inputs.Get(Model).WithOptions(o => o.WithPostCfg(function))));
    }
}
