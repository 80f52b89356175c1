using static TorchSharp.torch;
using TorchSharp;

namespace ComfySharp.Torch.Tensors;

/// <summary>
/// Tensor arithmetic with numbers that keeps each libtorch <see cref="Scalar"/> alive until the native
/// call has read it. TorchSharp frees a Scalar only in its finalizer, and neither its implicit
/// conversions (<c>double → Scalar</c>) nor its <c>Tensor op number</c> operators keep the Scalar
/// reachable during the call: a garbage collection started by another thread can then run the
/// finalizer and free the Scalar while libtorch still reads it (the server crashed this way in
/// <c>add_Scalar</c> under load). Every method here creates the Scalar explicitly, disposes it after
/// the call, and calls exactly the libtorch op the TorchSharp operator it replaces calls, with a
/// Scalar of the same type (an <see cref="int"/> argument makes an Int32 Scalar, a <see cref="float"/>
/// one a Float32 Scalar, as <c>t * 2</c> and <c>t * 2f</c> did), so results are bit-identical.
/// The receiver (and any tensor argument) is also kept reachable until the native call returns, so a
/// temporary like <c>(a - b).Mul(x)</c> is safe even where no DisposeScope holds it.
/// ScalarLifetimeTests reads our IL and fails on any implicit Scalar, so code uses these (or an explicit
/// <c>using Scalar s = value.ToScalar();</c>) instead of operators with numbers.
/// </summary>
public static class ScalarMath
{
    /// <summary>
    /// The alpha of <c>t + s</c>: TorchSharp's one-argument <c>add(Scalar)</c> converts the number 1 to a Scalar
    /// itself and can lose it to the finalizer mid-call, so every add passes this one, which is never collected.
    /// Same type (Int32) as the implicit one, so results are bit-identical.
    /// </summary>
    private static readonly Scalar UnitAlpha = 1.ToScalar();

    /// <summary>
    /// Runs <paramref name="op"/> with <paramref name="scalar"/> and disposes the Scalar afterwards, keeping
    /// <paramref name="tensor"/> reachable until the native call has returned.
    /// </summary>
    private static Tensor WithScalar(Tensor tensor, Scalar scalar, Func<Tensor, Scalar, Tensor> op)
    {
        using (scalar)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Tensor result = op(tensor, scalar);
            GC.KeepAlive(tensor);
            return result;
        }
    }

    /// <summary>As <see cref="WithScalar(Tensor, Scalar, Func{Tensor, Scalar, Tensor})"/>, also keeping a second tensor reachable.</summary>
    private static Tensor WithScalar(Tensor tensor, Tensor other, Scalar scalar, Func<Tensor, Tensor, Scalar, Tensor> op)
    {
        using (scalar)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            Tensor result = op(tensor, other, scalar);
            GC.KeepAlive(tensor);
            GC.KeepAlive(other);
            return result;
        }
    }

    /// <summary>
    /// The vector <paramref name="ord"/>-norm over <paramref name="dim"/>. TorchSharp 0.107's <c>linalg.vector_norm</c>
    /// turns <c>ord</c> into a Scalar it does not hold during the call (a finalizer race seen as "Unknown scalar type");
    /// <c>linalg.norm</c> with a float order passes a plain double, and for one dimension libtorch computes the same vector norm.
    /// </summary>
    public static Tensor VectorNorm(this Tensor tensor, double ord, long dim, bool keepdim = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Tensor result = linalg.norm(tensor, ord, [dim], keepdim);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t + value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.add(s, UnitAlpha));

    /// <summary><c>t + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.add(s, UnitAlpha));

    /// <summary><c>t + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.add(s, UnitAlpha));

    /// <summary><c>t + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.add(s, UnitAlpha));

    /// <summary><c>t - value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.sub(s));

    /// <summary><c>t - value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.sub(s));

    /// <summary><c>t - value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.sub(s));

    /// <summary><c>t - value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.sub(s));

    /// <summary><c>t * value</c> (also <c>value * t</c>) with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.mul(s));

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.mul(s));

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.mul(s));

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.mul(s));

    /// <summary><c>t / value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.div(s));

    /// <summary><c>t / value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.div(s));

    /// <summary><c>t / value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.div(s));

    /// <summary><c>t / value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.div(s));

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.negative();
        return inner.add(s, UnitAlpha);
    });

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.negative();
        return inner.add(s, UnitAlpha);
    });

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.negative();
        return inner.add(s, UnitAlpha);
    });

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.negative();
        return inner.add(s, UnitAlpha);
    });

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.reciprocal();
        return inner.mul(s);
    });

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.reciprocal();
        return inner.mul(s);
    });

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.reciprocal();
        return inner.mul(s);
    });

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) =>
    {
        using Tensor inner = t.reciprocal();
        return inner.mul(s);
    });

    /// <summary><c>t % value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.remainder(s));

    /// <summary><c>t % value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, long value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.remainder(s));

    /// <summary><c>t % value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, float value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.remainder(s));

    /// <summary><c>t % value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.remainder(s));

    /// <summary><c>t.clamp(min, max)</c> with int bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, int min, int max)
    {
        using Scalar lo = min.ToScalar();
        return WithScalar(tensor, max.ToScalar(), (t, hi) => t.clamp(lo, hi));
    }

    /// <summary><c>t.clamp(min, max)</c> with double bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, double min, double max)
    {
        using Scalar lo = min.ToScalar();
        return WithScalar(tensor, max.ToScalar(), (t, hi) => t.clamp(lo, hi));
    }

    /// <summary><c>t.pow(exponent)</c> with an int exponent.</summary>
    public static Tensor Pow(this Tensor tensor, int exponent) => WithScalar(tensor, exponent.ToScalar(), static (t, s) => t.pow(s));

    /// <summary><c>t.pow(exponent)</c> with a double exponent.</summary>
    public static Tensor Pow(this Tensor tensor, double exponent) => WithScalar(tensor, exponent.ToScalar(), static (t, s) => t.pow(s));

    /// <summary>In-place <c>t.mul_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor MulInPlace(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.mul_(s));

    /// <summary>In-place <c>t.sub_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor SubInPlace(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.sub_(s));

    /// <summary>In-place <c>t.div_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor DivInPlace(this Tensor tensor, int value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.div_(s));

    /// <summary>In-place <c>t.add_(other, alpha)</c> (t += alpha · other); returns <paramref name="tensor"/>.</summary>
    public static Tensor AddScaledInPlace(this Tensor tensor, Tensor other, double alpha) =>
        WithScalar(tensor, other, alpha.ToScalar(), static (t, o, s) => t.add_(o, s));

    /// <summary><c>t.le(value)</c> (what <c>t &lt;= value</c> calls), a boolean tensor.</summary>
    public static Tensor Le(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.le(s));

    /// <summary><c>t.lt(value)</c> (what <c>t &lt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Lt(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.lt(s));

    /// <summary><c>t.gt(value)</c> (what <c>t &gt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Gt(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.gt(s));

    /// <summary><c>t.eq(value)</c> (what <c>t == value</c> calls), a boolean tensor.</summary>
    public static Tensor Eq(this Tensor tensor, double value) => WithScalar(tensor, value.ToScalar(), static (t, s) => t.eq(s));

    /// <summary><c>t.masked_fill(mask, value)</c>.</summary>
    public static Tensor MaskedFill(this Tensor tensor, Tensor mask, double value) =>
        WithScalar(tensor, mask, value.ToScalar(), static (t, m, s) => t.masked_fill(m, s));

    /// <summary><c>torch.full(size, value, dtype)</c> with a float fill value.</summary>
    public static Tensor Full(long[] size, float value, ScalarType dtype, Device? device = null)
    {
        using Scalar s = value.ToScalar();
        return full(size, s, dtype, device);
    }

    /// <summary><c>torch.full(size, value, dtype)</c> with a double fill value.</summary>
    public static Tensor Full(long[] size, double value, ScalarType dtype, Device? device = null)
    {
        using Scalar s = value.ToScalar();
        return full(size, s, dtype, device);
    }

    /// <summary><c>torch.arange(stop)</c>: 0, 1, …, stop − 1.</summary>
    public static Tensor Arange(long stop, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar end = stop.ToScalar();
        return arange(end, dtype, device);
    }

    /// <summary><c>torch.arange(start, stop)</c>: start, start + 1, …, stop − 1.</summary>
    public static Tensor Arange(long start, long stop, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar first = start.ToScalar();
        using Scalar end = stop.ToScalar();
        return arange(first, end, dtype, device);
    }

    /// <summary>
    /// <c>a + b</c> for two tensors. TorchSharp's <c>a + b</c> and <c>a.add(b)</c> call
    /// <c>add(b, alpha: 1)</c> with an implicit Int32 Scalar, which has the same lifetime hazard; this
    /// calls the same op with an explicit one.
    /// </summary>
    public static Tensor Add(this Tensor tensor, Tensor other) => WithScalar(tensor, other, 1.ToScalar(), static (t, o, s) => t.add(o, s));

    /// <summary>In-place <c>a.add_(b)</c> (TorchSharp's one-argument form makes an implicit alpha Scalar); returns <paramref name="tensor"/>.</summary>
    public static Tensor AddInPlace(this Tensor tensor, Tensor other) => WithScalar(tensor, other, 1.ToScalar(), static (t, o, s) => t.add_(o, s));
}
