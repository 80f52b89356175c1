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
    /// <summary><c>t + value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.add(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.add(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.add(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.add(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t - value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.sub(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t - value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.sub(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t - value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.sub(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t - value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.sub(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.mul(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.mul(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.mul(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.mul(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t / value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.div(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t / value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.div(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t / value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.div(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t / value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.div(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        GC.KeepAlive(tensor);
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        GC.KeepAlive(tensor);
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        GC.KeepAlive(tensor);
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        GC.KeepAlive(tensor);
        return negated.add(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        GC.KeepAlive(tensor);
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        GC.KeepAlive(tensor);
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        GC.KeepAlive(tensor);
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        GC.KeepAlive(tensor);
        return reciprocal.mul(s);
    }

    /// <summary><c>t % value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.remainder(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t % value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.remainder(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t % value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.remainder(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t % value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.remainder(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.clamp(min, max)</c> with int bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar lo = min.ToScalar();
        using Scalar hi = max.ToScalar();
        Tensor result = tensor.clamp(lo, hi);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.pow(exponent)</c> with a int exponent.</summary>
    public static Tensor Pow(this Tensor tensor, int exponent)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = exponent.ToScalar();
        Tensor result = tensor.pow(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.clamp(min, max)</c> with double bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar lo = min.ToScalar();
        using Scalar hi = max.ToScalar();
        Tensor result = tensor.clamp(lo, hi);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.pow(exponent)</c> with a double exponent.</summary>
    public static Tensor Pow(this Tensor tensor, double exponent)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = exponent.ToScalar();
        Tensor result = tensor.pow(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary>In-place <c>t.mul_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor MulInPlace(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.mul_(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary>In-place <c>t.sub_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor SubInPlace(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.sub_(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary>In-place <c>t.div_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor DivInPlace(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.div_(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary>In-place <c>t.add_(other, alpha)</c> (t += alpha · other); returns <paramref name="tensor"/>.</summary>
    public static Tensor AddScaledInPlace(this Tensor tensor, Tensor other, double alpha)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = alpha.ToScalar();
        Tensor result = tensor.add_(other, s);
        GC.KeepAlive(tensor);
        GC.KeepAlive(other);
        return result;
    }

    /// <summary><c>t.le(value)</c> (what <c>t &lt;= value</c> calls), a boolean tensor.</summary>
    public static Tensor Le(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.le(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.lt(value)</c> (what <c>t &lt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Lt(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.lt(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.gt(value)</c> (what <c>t &gt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Gt(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.gt(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.eq(value)</c> (what <c>t == value</c> calls), a boolean tensor.</summary>
    public static Tensor Eq(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.eq(s);
        GC.KeepAlive(tensor);
        return result;
    }

    /// <summary><c>t.masked_fill(mask, value)</c>.</summary>
    public static Tensor MaskedFill(this Tensor tensor, Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        Tensor result = tensor.masked_fill(mask, s);
        GC.KeepAlive(tensor);
        GC.KeepAlive(mask);
        return result;
    }

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
    public static Tensor Add(this Tensor tensor, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar one = 1.ToScalar();
        Tensor result = tensor.add(other, one);
        GC.KeepAlive(tensor);
        GC.KeepAlive(other);
        return result;
    }

    /// <summary>In-place <c>a.add_(b)</c> (TorchSharp's one-argument form makes an implicit alpha Scalar); returns <paramref name="tensor"/>.</summary>
    public static Tensor AddInPlace(this Tensor tensor, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar one = 1.ToScalar();
        Tensor result = tensor.add_(other, one);
        GC.KeepAlive(tensor);
        GC.KeepAlive(other);
        return result;
    }
}
