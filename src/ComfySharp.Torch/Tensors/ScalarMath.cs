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
        return tensor.add(s);
    }

    /// <summary><c>t + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.add(s);
    }

    /// <summary><c>t + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.add(s);
    }

    /// <summary><c>t + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Add(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.add(s);
    }

    /// <summary><c>t - value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.sub(s);
    }

    /// <summary><c>t - value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.sub(s);
    }

    /// <summary><c>t - value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.sub(s);
    }

    /// <summary><c>t - value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Sub(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.sub(s);
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.mul(s);
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.mul(s);
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.mul(s);
    }

    /// <summary><c>t * value</c> (also <c>value * t</c>) with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Mul(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.mul(s);
    }

    /// <summary><c>t / value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.div(s);
    }

    /// <summary><c>t / value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.div(s);
    }

    /// <summary><c>t / value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.div(s);
    }

    /// <summary><c>t / value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Div(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.div(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        return negated.add(s);
    }

    /// <summary><c>value - t</c>, computed like TorchSharp's operator as <c>(-t) + value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RSub(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor negated = tensor.negative();
        return negated.add(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>value / t</c>, computed like TorchSharp's operator as <c>(1 / t) * value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor RDiv(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        using Tensor reciprocal = tensor.reciprocal();
        return reciprocal.mul(s);
    }

    /// <summary><c>t % value</c> with an <see cref="int"/> (Int32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.remainder(s);
    }

    /// <summary><c>t % value</c> with a <see cref="long"/> (Int64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, long value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.remainder(s);
    }

    /// <summary><c>t % value</c> with a <see cref="float"/> (Float32) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.remainder(s);
    }

    /// <summary><c>t % value</c> with a <see cref="double"/> (Float64) Scalar.</summary>
    public static Tensor Rem(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.remainder(s);
    }

    /// <summary><c>t.clamp(min, max)</c> with int bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar lo = min.ToScalar();
        using Scalar hi = max.ToScalar();
        return tensor.clamp(lo, hi);
    }

    /// <summary><c>t.pow(exponent)</c> with a int exponent.</summary>
    public static Tensor Pow(this Tensor tensor, int exponent)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = exponent.ToScalar();
        return tensor.pow(s);
    }

    /// <summary><c>t.clamp(min, max)</c> with double bounds.</summary>
    public static Tensor Clamp(this Tensor tensor, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar lo = min.ToScalar();
        using Scalar hi = max.ToScalar();
        return tensor.clamp(lo, hi);
    }

    /// <summary><c>t.pow(exponent)</c> with a double exponent.</summary>
    public static Tensor Pow(this Tensor tensor, double exponent)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = exponent.ToScalar();
        return tensor.pow(s);
    }

    /// <summary>In-place <c>t.mul_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor MulInPlace(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.mul_(s);
    }

    /// <summary>In-place <c>t.sub_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor SubInPlace(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.sub_(s);
    }

    /// <summary>In-place <c>t.div_(value)</c>; returns <paramref name="tensor"/>.</summary>
    public static Tensor DivInPlace(this Tensor tensor, int value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.div_(s);
    }

    /// <summary>In-place <c>t.add_(other, alpha)</c> (t += alpha · other); returns <paramref name="tensor"/>.</summary>
    public static Tensor AddScaledInPlace(this Tensor tensor, Tensor other, double alpha)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = alpha.ToScalar();
        return tensor.add_(other, s);
    }

    /// <summary><c>t.le(value)</c> (what <c>t &lt;= value</c> calls), a boolean tensor.</summary>
    public static Tensor Le(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.le(s);
    }

    /// <summary><c>t.lt(value)</c> (what <c>t &lt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Lt(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.lt(s);
    }

    /// <summary><c>t.gt(value)</c> (what <c>t &gt; value</c> calls), a boolean tensor.</summary>
    public static Tensor Gt(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.gt(s);
    }

    /// <summary><c>t.eq(value)</c> (what <c>t == value</c> calls), a boolean tensor.</summary>
    public static Tensor Eq(this Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.eq(s);
    }

    /// <summary><c>t.masked_fill(mask, value)</c>.</summary>
    public static Tensor MaskedFill(this Tensor tensor, Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Scalar s = value.ToScalar();
        return tensor.masked_fill(mask, s);
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
}
