using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// The discrete noise schedule of SD1.x/SD2.x/SDXL (NODES.md §4.2): the 1000-entry sigma table,
/// the sigma ↔ timestep maps and the prediction-type maths that turn a network output into the
/// denoised latent. Tables are built in float64 and stored in float32 as the reference does, and the
/// maps use float32 tensor ops so schedules come out bit for bit. Other samplings (LCM's distilled
/// table, the continuous EDM and V schedules) derive from it and override the maps.
/// </summary>
public class ModelSamplingDiscrete
{
    /// <summary>Number of entries in the tables.</summary>
    public const int TableSize = 1000;

    /// <summary>Builds the linear-in-sqrt beta schedule (0.00085 … 0.012) for a prediction type; <paramref name="zeroTerminalSnr"/> rescales it to a zero terminal SNR.</summary>
    public ModelSamplingDiscrete(ModelPrediction prediction = ModelPrediction.Epsilon, double linearStart = 0.00085, double linearEnd = 0.012, bool zeroTerminalSnr = false)
    {
        Prediction = prediction;
        ZeroTerminalSnr = zeroTerminalSnr;
        using var scope = NewDisposeScope();
        Tensor betas = linspace(Math.Sqrt(linearStart), Math.Sqrt(linearEnd), TableSize, dtype: ScalarType.Float64).Pow(2);
        Tensor alphasCumprod = betas.RSub(1.0).cumprod(0);
        Tensor sigmas64 = (alphasCumprod.RSub(1.0) / alphasCumprod).Pow(0.5);
        if (zeroTerminalSnr)
        {
            sigmas64 = RescaleZeroTerminalSnr(sigmas64);
        }
        Sigmas = sigmas64.to_type(ScalarType.Float32).data<float>().ToArray();
        LogSigmas = sigmas64.log().to_type(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>A sampling with the given tables (for derived schedules).</summary>
    protected ModelSamplingDiscrete(ModelPrediction prediction, float[] sigmas, float[] logSigmas)
    {
        ArgumentNullException.ThrowIfNull(sigmas);
        ArgumentNullException.ThrowIfNull(logSigmas);
        Prediction = prediction;
        Sigmas = sigmas;
        LogSigmas = logSigmas;
    }

    /// <summary>What the network predicts.</summary>
    public ModelPrediction Prediction { get; }

    /// <summary>Whether the table was rescaled to a zero terminal SNR.</summary>
    public bool ZeroTerminalSnr { get; }

    /// <summary>σ_t for t = 0 … 999 (float32).</summary>
    public IReadOnlyList<float> Sigmas { get; }

    /// <summary>log σ_t computed in float64 and rounded to float32.</summary>
    public IReadOnlyList<float> LogSigmas { get; }

    /// <summary>σ of timestep 0.</summary>
    public float SigmaMin => Sigmas[0];

    /// <summary>σ of the last timestep.</summary>
    public float SigmaMax => Sigmas[^1];

    /// <summary>The sampling a model runs with: its override (ModelSampling* nodes) or its network's default.</summary>
    public static ModelSamplingDiscrete For(ModelPatcher model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Sampling ?? For(model.Network.Prediction);
    }

    /// <summary>
    /// The reference's zero-terminal-SNR rescale (Lin et al. 2023) of a float64 σ table: shift and scale √ᾱ so the
    /// last entry is 0, with the last ᾱ then set to 4.8973451890853435e-08.
    /// </summary>
    public static Tensor RescaleZeroTerminalSnr(Tensor sigmas)
    {
        ArgumentNullException.ThrowIfNull(sigmas);
        using var scope = NewDisposeScope();
        Tensor alphasBarSqrt = (sigmas * sigmas).Add(1.0).reciprocal().sqrt();
        double first = alphasBarSqrt[0].item<double>();
        double last = alphasBarSqrt[-1].item<double>();
        alphasBarSqrt = alphasBarSqrt.Sub(last).Mul(first / (first - last));
        Tensor alphasBar = alphasBarSqrt * alphasBarSqrt;
        alphasBar[-1] = ScalarMath.Full([], 4.8973451890853435e-08, ScalarType.Float64);
        return (alphasBar.RSub(1.0) / alphasBar).Pow(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>The shared SD1.x (epsilon) schedule.</summary>
    public static ModelSamplingDiscrete Epsilon { get; } = new(ModelPrediction.Epsilon);

    /// <summary>The shared v-prediction schedule.</summary>
    public static ModelSamplingDiscrete Velocity { get; } = new(ModelPrediction.Velocity);

    /// <summary>The shared schedule for a prediction type.</summary>
    public static ModelSamplingDiscrete For(ModelPrediction prediction) =>
        prediction == ModelPrediction.Velocity ? Velocity : Epsilon;

    /// <summary>The table as a float32 tensor.</summary>
    public Tensor SigmasTensor() => tensor(Sigmas.ToArray());

    private Tensor LogSigmasTensor() => tensor(LogSigmas.ToArray());

    /// <summary>The timestep of one σ as a real number (the schedulers' start and end points).</summary>
    public virtual double TimestepOf(float sigma) => Timestep(sigma);

    /// <summary>Index of the table entry whose log σ is nearest (per element), as int64.</summary>
    public virtual Tensor Timestep(Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        using var scope = NewDisposeScope();
        Tensor logSigma = sigma.to_type(ScalarType.Float32).log();
        Tensor dists = logSigma.reshape(1, -1) - LogSigmasTensor().unsqueeze(1);
        return dists.abs().argmin(0).view(sigma.shape).MoveToOuterDisposeScope();
    }

    /// <summary>The nearest timestep of one σ.</summary>
    public long Timestep(float sigma)
    {
        using var scope = NewDisposeScope();
        return Timestep(tensor(new[] { sigma })).item<long>();
    }

    /// <summary>σ at real timesteps: exp of the linear interpolation of log σ (per element, float32).</summary>
    public virtual Tensor Sigma(Tensor timestep)
    {
        ArgumentNullException.ThrowIfNull(timestep);
        using var scope = NewDisposeScope();
        Tensor t = timestep.to_type(ScalarType.Float32).Clamp(0, TableSize - 1);
        Tensor low = t.floor().to_type(ScalarType.Int64);
        Tensor high = t.ceil().to_type(ScalarType.Int64);
        Tensor w = t.frac();
        Tensor logs = LogSigmasTensor();
        Tensor logSigma = (w.RSub(1) * logs[low]).Add(w * logs[high]);
        return logSigma.exp().MoveToOuterDisposeScope();
    }

    /// <summary>σ at one real timestep.</summary>
    public float Sigma(double timestep)
    {
        using var scope = NewDisposeScope();
        return Sigma(tensor(new[] { (float)timestep })).item<float>();
    }

    /// <summary>
    /// σ at a fraction of the schedule (0 = start, 1 = end) as used by timestep-range conditioning:
    /// ≤ 0 gives a huge σ, ≥ 1 gives 0.
    /// </summary>
    public virtual double PercentToSigma(double percent)
    {
        if (percent <= 0.0)
        {
            return 999999999.9;
        }
        if (percent >= 1.0)
        {
            return 0.0;
        }
        return Sigma((float)((1.0 - percent) * 999.0));
    }

    /// <summary>The network input for latent <paramref name="x"/> at σ ([B] broadcast): x / sqrt(σ² + 1).</summary>
    public static Tensor CalculateInput(Tensor sigma, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(x);
        Tensor s = AppendDims(sigma, x.dim());
        return x / (s * s).Add(1.0).Pow(0.5);
    }

    /// <summary>The denoised latent from the network output.</summary>
    public virtual Tensor CalculateDenoised(Tensor sigma, Tensor modelOutput, Tensor modelInput)
    {
        ArgumentNullException.ThrowIfNull(sigma);
        ArgumentNullException.ThrowIfNull(modelOutput);
        ArgumentNullException.ThrowIfNull(modelInput);
        Tensor s = AppendDims(sigma, modelOutput.dim());
        return Prediction switch
        {
            ModelPrediction.Velocity => modelInput.Mul(1.0) / (s * s).Add(1.0) - (modelOutput * s).Mul(1.0) / (s * s).Add(1.0).Pow(0.5),
            ModelPrediction.Sample => modelOutput.alias(),
            ModelPrediction.Edm => (modelInput.Mul(1.0) / (s * s).Add(1.0)).Add((modelOutput * s).Mul(1.0) / (s * s).Add(1.0).Pow(0.5)),
            _ => modelInput - modelOutput * s,
        };
    }

    /// <summary>
    /// The sampler's starting point: noise·sqrt(1 + σ²) for a full denoise (σ at the top of the
    /// schedule), else latent + noise·σ.
    /// </summary>
    public static Tensor NoiseScaling(float sigma, Tensor noise, Tensor latent, bool maxDenoise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(latent);
        Tensor scaled = maxDenoise
            ? noise * tensor(1.0f + sigma * sigma).sqrt()
            : noise.Mul(sigma);
        return scaled.Add(latent);
    }

    /// <summary>True when σ₀ is the model's σ_max (within 1e-5 relative) or above: the latent is then ignored.</summary>
    public bool IsMaxDenoise(float sigma0)
    {
        double max = SigmaMax;
        double s = sigma0;
        return Math.Abs(max - s) <= 1e-5 * Math.Max(Math.Abs(max), Math.Abs(s)) || s > max;
    }

    /// <summary>Reshapes [B] to [B, 1, 1, ...] with <paramref name="dims"/> dimensions.</summary>
    public static Tensor AppendDims(Tensor value, long dims)
    {
        ArgumentNullException.ThrowIfNull(value);
        long missing = dims - value.dim();
        if (missing <= 0)
        {
            return value;
        }
        long[] shape = value.shape.Concat(Enumerable.Repeat(1L, (int)missing)).ToArray();
        return value.reshape(shape);
    }
}
