using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// LCM's distilled schedule (the reference's <c>ModelSamplingDiscreteDistilled</c>): 50 of the 1000 σ (every 20th
/// from the top), timesteps mapped back onto the full range, and the consistency-model boundary condition
/// (c_skip, c_out with σ_data 0.5 and timestep scaling 10) applied to the ε prediction.
/// </summary>
public sealed class ModelSamplingDiscreteDistilled : ModelSamplingDiscrete
{
    private const int OriginalTimesteps = 50;
    private const int SkipSteps = TableSize / OriginalTimesteps;

    /// <summary>Builds the table from the default schedule (optionally zero-terminal-SNR).</summary>
    public ModelSamplingDiscreteDistilled(bool zeroTerminalSnr = false)
        : base(ModelPrediction.Epsilon, Distil(zeroTerminalSnr), Distil(zeroTerminalSnr).Select(v => MathF.Log(v)).ToArray())
    {
    }

    private static float[] Distil(bool zsnr)
    {
        var full = new ModelSamplingDiscrete(ModelPrediction.Epsilon, zeroTerminalSnr: zsnr);
        float[] valid = new float[OriginalTimesteps];
        for (int x = 0; x < OriginalTimesteps; x++)
        {
            valid[OriginalTimesteps - 1 - x] = full.Sigmas[TableSize - 1 - (x * SkipSteps)];
        }
        return valid;
    }

    /// <inheritdoc />
    public override Tensor Timestep(Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        using var scope = NewDisposeScope();
        Tensor nearest = base.Timestep(sigma);
        return nearest.Mul(SkipSteps).Add(SkipSteps - 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Sigma(Tensor timestep)
    {
        ArgumentNullException.ThrowIfNull(timestep);
        using var scope = NewDisposeScope();
        Tensor t = timestep.to_type(ScalarType.Float32).Sub(SkipSteps - 1).Div(SkipSteps).Clamp(0, Sigmas.Count - 1);
        Tensor low = t.floor().to_type(ScalarType.Int64);
        Tensor high = t.ceil().to_type(ScalarType.Int64);
        Tensor w = t.frac();
        Tensor logs = tensor(LogSigmas.ToArray());
        return (w.RSub(1) * logs[low]).Add(w * logs[high]).exp().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override double PercentToSigma(double percent) =>
        percent <= 0.0 ? 999999999.9 : percent >= 1.0 ? 0.0 : Sigma((float)((1.0 - percent) * 999.0));

    /// <inheritdoc />
    public override Tensor CalculateDenoised(Tensor sigma, Tensor modelOutput, Tensor modelInput)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(modelOutput);
        ArgumentNullException.ThrowIfNull(modelInput);
        using var scope = NewDisposeScope();
        Tensor timestep = AppendDims(Timestep(sigma).to_type(ScalarType.Float32), modelOutput.dim());
        Tensor s = AppendDims(sigma, modelOutput.dim());
        Tensor x0 = modelInput - modelOutput * s;
        const double SigmaData = 0.5;
        Tensor scaled = timestep.Mul(10.0);
        Tensor denominator = (scaled * scaled).Add(SigmaData * SigmaData);
        Tensor cSkip = denominator.reciprocal().Mul(SigmaData * SigmaData);
        Tensor cOut = scaled / denominator.Pow(0.5);
        return (cOut * x0).Add(cSkip * modelInput).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Continuous schedules between σ_min and σ_max (the reference's <c>ModelSamplingContinuousEDM</c> and
/// <c>ModelSamplingContinuousV</c>): a 1000-entry log-linear σ table for the schedulers, the network timestep
/// 0.25·ln σ (EDM) or 2·atan(σ)/π (V), and percentages mapped log-linearly between the ends. σ_data is 1.
/// </summary>
public sealed class ModelSamplingContinuous : ModelSamplingDiscrete
{
    private ModelSamplingContinuous(ModelPrediction prediction, bool arctan, double sigmaMin, double sigmaMax)
        : base(prediction, Table(sigmaMin, sigmaMax).Sigmas, Table(sigmaMin, sigmaMax).Logs)
    {
        ArcTan = arctan;
        ContinuousSigmaMin = sigmaMin;
        ContinuousSigmaMax = sigmaMax;
    }

    /// <summary>True for the V schedule's arctan timestep, false for EDM's 0.25·ln σ.</summary>
    public bool ArcTan { get; }

    /// <summary>The σ_min parameter.</summary>
    public double ContinuousSigmaMin { get; }

    /// <summary>The σ_max parameter.</summary>
    public double ContinuousSigmaMax { get; }

    /// <summary>ModelSamplingContinuousEDM with a prediction type (ε, v or EDM).</summary>
    public static ModelSamplingContinuous Edm(ModelPrediction prediction, double sigmaMin, double sigmaMax) => new(prediction, false, sigmaMin, sigmaMax);

    /// <summary>ModelSamplingContinuousV (v prediction).</summary>
    public static ModelSamplingContinuous V(double sigmaMin, double sigmaMax) => new(ModelPrediction.Velocity, true, sigmaMin, sigmaMax);

    private static (float[] Sigmas, float[] Logs) Table(double sigmaMin, double sigmaMax)
    {
        if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin))
        {
            throw new ArgumentException($"A continuous schedule needs 0 < sigma_min < sigma_max; got {sigmaMin} and {sigmaMax}.");
        }
        using var scope = NewDisposeScope();
        Tensor sigmas = linspace(Math.Log(sigmaMin), Math.Log(sigmaMax), TableSize, dtype: ScalarType.Float32).exp();
        return (sigmas.data<float>().ToArray(), sigmas.log().data<float>().ToArray());
    }

    /// <inheritdoc />
    public override double TimestepOf(float sigma)
    {
        using var scope = NewDisposeScope();
        return Timestep(tensor(new[] { sigma })).item<float>();
    }

    /// <inheritdoc />
    public override Tensor Timestep(Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        using var scope = NewDisposeScope();
        Tensor s = sigma.to_type(ScalarType.Float32);
        Tensor t = ArcTan ? s.atan().Div(Math.PI).Mul(2.0) : s.log().Mul(0.25);
        return t.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Sigma(Tensor timestep)
    {
        ArgumentNullException.ThrowIfNull(timestep);
        using var scope = NewDisposeScope();
        Tensor t = timestep.to_type(ScalarType.Float32);
        Tensor s = ArcTan ? t.Mul(Math.PI / 2).tan() : t.Div(0.25).exp();
        return s.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override double PercentToSigma(double percent)
    {
        if (percent <= 0.0)
        {
            return 999999999.9;
        }
        if (percent >= 1.0)
        {
            return 0.0;
        }
        double logMin = Math.Log(ContinuousSigmaMin);
        return Math.Exp(((Math.Log(ContinuousSigmaMax) - logMin) * (1.0 - percent)) + logMin);
    }
}
