using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Adaptive-step DPM-Solver with its order, tolerances and PID step-size controller.</summary>
public sealed class SamplerDPMAdaptative : ComfyNode
{
    /// <summary>Solver order (2 or 3).</summary>
    public static readonly IntInput Order = new("order") { Default = 3, Min = 2, Max = 3 };
    /// <summary>Relative tolerance.</summary>
    public static readonly FloatInput Rtol = CustomSampling.SigmaFloat("rtol", 0.05, max: 100.0);
    /// <summary>Absolute tolerance.</summary>
    public static readonly FloatInput Atol = CustomSampling.SigmaFloat("atol", 0.0078, max: 100.0);
    /// <summary>First step size.</summary>
    public static readonly FloatInput HInit = CustomSampling.SigmaFloat("h_init", 0.05, max: 100.0);
    /// <summary>Proportional gain.</summary>
    public static readonly FloatInput Pcoeff = CustomSampling.SigmaFloat("pcoeff", 0.0, max: 100.0);
    /// <summary>Integral gain.</summary>
    public static readonly FloatInput Icoeff = CustomSampling.SigmaFloat("icoeff", 1.0, max: 100.0);
    /// <summary>Derivative gain.</summary>
    public static readonly FloatInput Dcoeff = CustomSampling.SigmaFloat("dcoeff", 0.0, max: 100.0);
    /// <summary>Safety factor for accepting a step.</summary>
    public static readonly FloatInput AcceptSafety = CustomSampling.SigmaFloat("accept_safety", 0.81, max: 100.0);
    /// <summary>Ancestral noise scale (only 0, the deterministic solver, is supported).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 0.0, max: 100.0);
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerDPMAdaptative", CustomSampling.Samplers,
        [Order, Rtol, Atol, HInit, Pcoeff, Icoeff, Dcoeff, AcceptSafety, Eta, SNoise], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Get(Eta) != 0.0)
        {
            throw new NotSupportedException("SamplerDPMAdaptative: eta > 0 (ancestral adaptive sampling) is not supported yet; use eta 0.");
        }
        int order = (int)inputs.Get(Order);
        double rtol = inputs.Get(Rtol), atol = inputs.Get(Atol), hInit = inputs.Get(HInit);
        double p = inputs.Get(Pcoeff), i = inputs.Get(Icoeff), d = inputs.Get(Dcoeff), safety = inputs.Get(AcceptSafety);
        SamplerDefinition sampler = CustomSampling.Sampler("dpm_adaptive", (c, x, s) => DpmSolverSamplers.Adaptive(c, x, s, order, rtol, atol, hInit, p, i, d, safety));
        return ValueTask.FromResult(NodeOutput.Of(sampler));
    }
}
