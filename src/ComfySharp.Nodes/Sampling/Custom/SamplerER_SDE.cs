using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>The ER-SDE solver with its SDE (its own noise scaler, a reverse-time SDE of strength η, or the ODE), stages and noise.</summary>
public sealed class SamplerER_SDE : ComfyNode
{
    /// <summary>Which SDE the solver integrates.</summary>
    public static readonly ComboInput SolverType = new("solver_type", ["ER-SDE", "Reverse-time SDE", "ODE"]);
    /// <summary>How many stages (orders) the solver uses at most.</summary>
    public static readonly IntInput MaxStage = new("max_stage") { Default = 3, Min = 1, Max = 3 };
    /// <summary>Stochastic strength of the reverse-time SDE.</summary>
    public static readonly FloatInput Eta = new("eta")
    {
        Default = 1.0,
        Min = 0.0,
        Max = 100.0,
        Step = 0.01,
        RoundDisabled = true,
        Tooltip = "How stochastic the reverse-time SDE is; 0 makes it the deterministic ODE. The ER-SDE solver type ignores it.",
    };
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerER_SDE", CustomSampling.Samplers, [SolverType, MaxStage, Eta, SNoise], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string solver = inputs.Get(SolverType);
        float eta = (float)inputs.Get(Eta), sNoise = (float)inputs.Get(SNoise);
        int maxStage = (int)inputs.Get(MaxStage);
        if (solver == "ODE" || (solver == "Reverse-time SDE" && eta == 0))
        {
            eta = 0;
            sNoise = 0;
        }
        Func<float, float>? scaler = solver == "ER-SDE" ? null : KDiffusionSamplers.ReverseTimeSdeNoiseScaler(eta);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("er_sde", (c, x, s) => KDiffusionSamplers.ErSde(c, x, s, sNoise, maxStage, scaler))));
    }
}
