using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>
/// Noise for SDE samplers from one Brownian path W(σ) over [σ_min, σ_max], fixed by the seed, so
/// that the noise of an interval does not depend on how the interval is split (a step size change
/// gives consistent increments). Points are found by bisection with Brownian-bridge midpoints, each
/// midpoint drawn from its own generator seeded from the path position; queries between resolved
/// points interpolate linearly. Returns (W(σ_next) − W(σ)) / sqrt|σ_next − σ|, standard normal.
/// (The reference uses torchsde's BrownianTree; its exact numbers are not reproduced.)
/// </summary>
public sealed class BrownianTreeNoiseSampler : INoiseSampler
{
    private const int MaxDepth = 30;
    private readonly long[] _shape;
    private readonly double _t0;
    private readonly double _t1;
    private readonly ulong _seed;
    private readonly Dictionary<(int Depth, long Index), Tensor> _points = [];

    /// <summary>Creates the path for tensors shaped like <paramref name="shape"/>.</summary>
    public BrownianTreeNoiseSampler(long[] shape, double sigmaMin, double sigmaMax, ulong seed)
    {
        _shape = shape;
        _t0 = Math.Min(sigmaMin, sigmaMax);
        _t1 = Math.Max(sigmaMin, sigmaMax);
        if (_t1 <= _t0)
        {
            _t1 = _t0 + 1e-6;
        }
        _seed = seed;
        _points[(0, 0)] = zeros(shape).DetachFromDisposeScope();
        _points[(0, 1)] = Draw(0, 1).Mul(Math.Sqrt(_t1 - _t0)).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Next(double sigma, double sigmaNext)
    {
        using var scope = NewDisposeScope();
        Tensor a = At(sigma);
        Tensor b = At(sigmaNext);
        double scale = Math.Sqrt(Math.Abs(sigmaNext - sigma));
        if (scale == 0)
        {
            return zeros(_shape).MoveToOuterDisposeScope();
        }
        return (b - a).Mul(1.0 / scale).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Tensor t in _points.Values)
        {
            t.Dispose();
        }
        _points.Clear();
    }

    private Tensor At(double t)
    {
        t = Math.Clamp(t, _t0, _t1);
        double u = (t - _t0) / (_t1 - _t0);
        int depth = 0;
        long index = 0; // interval [index, index + 1] at this depth, in units of 2^-depth
        while (depth < MaxDepth)
        {
            double left = (double)index / (1L << depth);
            double right = (double)(index + 1) / (1L << depth);
            if (u == left)
            {
                return Point(depth, index);
            }
            if (u == right)
            {
                return Point(depth, index + 1);
            }
            double mid = 0.5 * (left + right);
            depth++;
            index = u < mid ? index * 2 : index * 2 + 1;
        }
        double l = (double)index / (1L << depth);
        double r = (double)(index + 1) / (1L << depth);
        double w = (u - l) / (r - l);
        return Point(depth, index).Mul(1 - w).Add(Point(depth, index + 1).Mul(w));
    }

    private Tensor Point(int depth, long index)
    {
        // An even index at depth d is the point index/2 at depth d-1.
        while (depth > 0 && index % 2 == 0)
        {
            depth--;
            index /= 2;
        }
        if (_points.TryGetValue((depth, index), out Tensor? known))
        {
            return known;
        }
        Tensor left = Point(depth - 1, index / 2);
        Tensor right = Point(depth - 1, index / 2 + 1);
        double halfWidth = (_t1 - _t0) / (1L << depth);
        using var scope = NewDisposeScope();
        Tensor mid = left.Add(right).Mul(0.5).Add(Draw(depth, index).Mul(Math.Sqrt(halfWidth / 2))).DetachFromDisposeScope();
        _points[(depth, index)] = mid;
        return mid;
    }

    private Tensor Draw(int depth, long index)
    {
        ulong key = _seed ^ SplitMix(((ulong)depth << 40) ^ (ulong)index);
        using var generator = new Generator(SplitMix(key), CPU);
        return randn(_shape, ScalarType.Float32, CPU, generator: generator);
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
