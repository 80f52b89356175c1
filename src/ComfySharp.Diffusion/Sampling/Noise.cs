using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>Noise exactly as the reference draws it: torch's CPU generator (Mersenne Twister) and normal sampling.</summary>
public static class Noise
{
    /// <summary>
    /// The initial noise for a latent of <paramref name="shape"/>: one randn of the whole shape from
    /// a generator seeded with <paramref name="seed"/>, or, with <paramref name="batchIndex"/>, item i
    /// gets the batch_index[i]-th draw of per-item shape.
    /// </summary>
    public static Tensor Prepare(long[] shape, ulong seed, IReadOnlyList<long>? batchIndex = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed, CPU);
        if (batchIndex is null || batchIndex.Count == 0)
        {
            return randn(shape, ScalarType.Float32, CPU, generator: generator).MoveToOuterDisposeScope();
        }
        long[] itemShape = [1, .. shape[1..]];
        long maxIndex = batchIndex.Max();
        var draws = new Tensor[maxIndex + 1];
        var wanted = batchIndex.ToHashSet();
        for (long i = 0; i <= maxIndex; i++)
        {
            Tensor draw = randn(itemShape, ScalarType.Float32, CPU, generator: generator);
            if (wanted.Contains(i))
            {
                draws[i] = draw;
            }
        }
        return cat(batchIndex.Select(i => draws[i]).ToArray(), 0).MoveToOuterDisposeScope();
    }
}

/// <summary>Per-step noise for ancestral/SDE samplers: a function of (σ, σ_next) returning standard normal noise of x's shape.</summary>
public interface INoiseSampler : IDisposable
{
    /// <summary>Noise for the step from σ to σ_next.</summary>
    Tensor Next(double sigma, double sigmaNext);
}

/// <summary>
/// The reference's default noise sampler on the CPU: its own generator seeded with seed + 1, one
/// randn of x's shape per call.
/// </summary>
public sealed class GeneratorNoiseSampler : INoiseSampler
{
    private readonly Generator _generator;
    private readonly long[] _shape;

    /// <summary>Creates the sampler for tensors shaped like <paramref name="shape"/>.</summary>
    public GeneratorNoiseSampler(long[] shape, ulong seed)
    {
        _shape = shape;
        _generator = new Generator(unchecked(seed + 1), CPU);
    }

    /// <inheritdoc />
    public Tensor Next(double sigma, double sigmaNext) => randn(_shape, ScalarType.Float32, CPU, generator: _generator);

    /// <inheritdoc />
    public void Dispose() => _generator.Dispose();
}
