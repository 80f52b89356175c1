using System.Numerics;
using ComfySharp.Engine.Python;
using ComfySharp.Engine.Validation;
using Xunit;

namespace ComfySharp.Engine.Tests;

public sealed class PythonFormatTests
{
    [Theory]
    [InlineData(5.0, "5.0")]
    [InlineData(0.2, "0.2")]
    [InlineData(1e38, "1e+38")]
    [InlineData(-1e38, "-1e+38")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(999999999999.0, "999999999999.0")]
    [InlineData(0.0, "0.0")]
    public void Float_repr_matches_python(double value, string expected) => Assert.Equal(expected, Py.FloatRepr(value));

    [Fact]
    public void Repr_of_lists_and_strings_uses_python_literals()
    {
        Assert.Equal("['none', 'floyd-steinberg']", Py.Str(new List<string> { "none", "floyd-steinberg" }));
        Assert.Equal("\"it's\"", Py.StringRepr("it's"));
        Assert.Equal("True", Py.Str(true));
        Assert.Equal("None", Py.Str(null));
        Assert.Equal("<class 'int'>", Py.ClassRepr(5L));
        Assert.Equal("<class 'float'>", Py.ClassRepr(5.0));
    }

    [Theory]
    [InlineData(" 12 ", "12")]
    [InlineData("1_000", "1000")]
    [InlineData("-7", "-7")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    public void Python_int_parsing_accepts_python_literals(string text, string expected)
    {
        Assert.True(Coercion.TryParsePythonInt(text, out BigInteger value));
        Assert.Equal(expected, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("9.5")]
    [InlineData("abc")]
    [InlineData("1__0")]
    [InlineData("")]
    public void Python_int_parsing_rejects_non_integers(string text) => Assert.False(Coercion.TryParsePythonInt(text, out _));

    [Fact]
    public void Coercion_follows_python_semantics()
    {
        Assert.True(Coercion.TryCoerce("INT", 8.7, out object? i, out _));
        Assert.Equal(new BigInteger(8), i);
        Assert.True(Coercion.TryCoerce("INT", -2.5, out i, out _));
        Assert.Equal(new BigInteger(-2), i);
        Assert.True(Coercion.TryCoerce("FLOAT", "1e3", out object? f, out _));
        Assert.Equal(1000.0, f);
        Assert.True(Coercion.TryCoerce("BOOLEAN", "false", out object? b, out _));
        Assert.Equal(true, b);
        Assert.True(Coercion.TryCoerce("STRING", 1.0, out object? s, out _));
        Assert.Equal("1.0", s);
        Assert.False(Coercion.TryCoerce("INT", "abc", out _, out string error));
        Assert.Equal("invalid literal for int() with base 10: 'abc'", error);
        Assert.False(Coercion.TryCoerce("FLOAT", "abc", out _, out error));
        Assert.Equal("could not convert string to float: 'abc'", error);
        Assert.True(Coercion.LooseEquals(1L, 1.0));
        Assert.True(Coercion.LooseEquals(true, 1L));
    }
}
