using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests;

internal static class TensorAssert
{
    /// <summary>Same dtype, same shape, same values (bitwise for floats except NaN).</summary>
    public static void Identical(Tensor expected, Tensor actual, string? because = null)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        using Tensor same = expected.eq(actual).all();
        Assert.True(same.item<bool>(), because ?? "tensors differ");
    }

    /// <summary>max |a - b| &lt;= tolerance * max |expected| (golden README §3).</summary>
    public static double MaxRelativeError(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        Tensor e = expected.to_type(ScalarType.Float64);
        Tensor a = actual.to_type(ScalarType.Float64);
        double maxDiff = (e - a).abs().max().item<double>();
        double scale = e.abs().max().item<double>();
        return maxDiff / scale;
    }
}
