using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>SA-Solver with its stochastic interval (as percents of the model's schedule), noise, orders and modes.</summary>
public sealed class SamplerSASolver : ComfyNode
{
    /// <summary>The model whose schedule turns the percents into σ.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Stochastic strength inside the interval (0 = ODE).</summary>
    public static readonly FloatInput Eta = CustomSampling.SigmaFloat("eta", 1.0, max: 10.0);
    /// <summary>Where the stochastic interval starts.</summary>
    public static readonly FloatInput SdeStartPercent = new("sde_start_percent") { Default = 0.2, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>Where it ends.</summary>
    public static readonly FloatInput SdeEndPercent = new("sde_end_percent") { Default = 0.8, Min = 0.0, Max = 1.0, Step = 0.001 };
    /// <summary>Multiplier of the added noise.</summary>
    public static readonly FloatInput SNoise = CustomSampling.SigmaFloat("s_noise", 1.0, max: 100.0);
    /// <summary>Predictor order.</summary>
    public static readonly IntInput PredictorOrder = new("predictor_order") { Default = 3, Min = 1, Max = 6 };
    /// <summary>Corrector order (0 = no corrector).</summary>
    public static readonly IntInput CorrectorOrder = new("corrector_order") { Default = 4, Min = 0, Max = 6 };
    /// <summary>Evaluate the model again after each correction.</summary>
    public static readonly BooleanInput UsePece = new("use_pece");
    /// <summary>Closed-form order-2 weights.</summary>
    public static readonly BooleanInput SimpleOrder2 = new("simple_order_2");

    private static readonly NodeSchema Definition = CustomSampling.Schema("SamplerSASolver", CustomSampling.Samplers,
        [Model, Eta, SdeStartPercent, SdeEndPercent, SNoise, PredictorOrder, CorrectorOrder, UsePece, SimpleOrder2], IOTypes.SAMPLER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ModelSamplingDiscrete sampling = CustomSampling.SamplingOf(inputs.Get(Model));
        Func<double, double> tau = SaSolverSampler.TauInterval(
            sampling.PercentToSigma(inputs.Get(SdeStartPercent)), sampling.PercentToSigma(inputs.Get(SdeEndPercent)), inputs.Get(Eta));
        float sNoise = (float)inputs.Get(SNoise);
        int predictor = (int)inputs.Get(PredictorOrder), corrector = (int)inputs.Get(CorrectorOrder);
        bool pece = inputs.Get(UsePece), simple = inputs.Get(SimpleOrder2);
        return ValueTask.FromResult(NodeOutput.Of(CustomSampling.Sampler("sa_solver",
            (c, x, s) => SaSolverSampler.Sample(c, x, s, pece, sNoise, predictor, corrector, tau, simple))));
    }
}
