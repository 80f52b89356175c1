using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Torch.Tensors;
using TorchSharp;

namespace ComfySharp.Nodes.Testing;

/// <summary>Shared facts and helpers of the conformance pack (TESTPACK.md).</summary>
internal static class PackSupport
{
    /// <summary>Every pack node reports this module.</summary>
    public const string Module = "custom_nodes.testing-pack";

    /// <summary>The "variant" validator takes only <c>input_types</c> (TESTPACK.md §5.1).</summary>
    internal static readonly ValidationSignature VariantSignature = new([], WantsInputTypes: true);

    /// <summary>An image of ones <c>[b, h, w, 3]</c>.</summary>
    public static torch.Tensor Ones(long batch = 1, long height = 512, long width = 512) =>
        torch.ones([batch, height, width, 3], torch.float32);

    /// <summary>The variant input-type check: received types must be a subset of the declared alternatives.</summary>
    public static ValidationResult VariantCheck(NodeSchema schema, IReadOnlyDictionary<string, string> inputTypes)
    {
        foreach (var (name, received) in inputTypes)
        {
            var declared = schema.FindInput(name);
            if (declared is null) { continue; }
            string expected = declared.Type;
            if (received == "*" || expected == "*") { continue; }
            var receivedSet = received.Split(',');
            var expectedSet = expected.Split(',').ToHashSet(StringComparer.Ordinal);
            if (!receivedSet.All(expectedSet.Contains))
            {
                return ValidationResult.Fail($"Invalid type of {name}: {received} (expected {expected})");
            }
        }
        return ValidationResult.Ok;
    }

    /// <summary>Python truthiness of a runtime value.</summary>
    public static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        ulong u => u != 0,
        BigInteger b => !b.IsZero,
        double d => d != 0,
        string s => s.Length != 0,
        JsonObject o => o.Count != 0,
        JsonArray a => a.Count != 0,
        System.Collections.ICollection c => c.Count != 0,
        _ => true,
    };

    /// <summary>An integer runtime value as an arbitrary-precision integer.</summary>
    public static BigInteger ToBig(object? value) => value switch
    {
        long l => l,
        ulong u => u,
        BigInteger b => b,
        bool b => b ? 1 : 0,
        double d => new BigInteger(d),
        _ => throw new NodeException("TypeError", $"expected an integer, got {value?.GetType().Name ?? "None"}"),
    };

    /// <summary>The smallest runtime representation of an integer.</summary>
    public static object FromBig(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? (long)value : value;

    /// <summary>Python's class name of a value for messages.</summary>
    public static string ClassName(object? value) => "<class '" + (value switch
    {
        null => "NoneType",
        bool => "bool",
        long or ulong or BigInteger => "int",
        double => "float",
        string => "str",
        JsonObject => "dict",
        JsonArray => "list",
        torch.Tensor => "torch.Tensor",
        _ => value.GetType().Name,
    }) + "'>";

    /// <summary>Python's float repr for messages (<c>5.0</c>, <c>0.2</c>, <c>1e+38</c>).</summary>
    public static string PyFloat(double value)
    {
        if (double.IsNaN(value)) { return "nan"; }
        if (double.IsInfinity(value)) { return value > 0 ? "inf" : "-inf"; }
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E', StringComparison.Ordinal))
        {
            var parts = r.Split('E');
            int exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (exp is >= -4 and < 16)
            {
                string fixedText = ((decimal)value).ToString(CultureInfo.InvariantCulture);
                return fixedText.Contains('.', StringComparison.Ordinal) ? fixedText : fixedText + ".0";
            }
            return parts[0] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return r.Contains('.', StringComparison.Ordinal) ? r : r + ".0";
    }

    /// <summary>A number input read as double (ints and floats).</summary>
    public static double ToDouble(object? value) => value switch
    {
        double d => d,
        long l => l,
        ulong u => u,
        BigInteger b => (double)b,
        bool b => b ? 1 : 0,
        _ => throw new NodeException("TypeError", $"unsupported operand type: '{value?.GetType().Name ?? "NoneType"}'"),
    };

    /// <summary>Multiplies a tensor or number by a tensor or number as the pack's validators allow.</summary>
    public static torch.Tensor Multiply(object? a, object? b)
    {
        if (a is torch.Tensor ta && b is torch.Tensor tb) { return ta * tb; }
        if (a is torch.Tensor t1) { return t1.Mul((float)ToDouble(b)); }
        if (b is torch.Tensor t2) { return t2.Mul((float)ToDouble(a)); }
        return Ones().Mul((float)ToDouble(a)).Mul((float)ToDouble(b));
    }

    /// <summary>True for a tensor or a float, the values the custom validators accept.</summary>
    public static bool IsTensorOrFloat(object? value) => value is torch.Tensor or double;

    /// <summary>Waits without blocking other work; observes interrupts.</summary>
    public static Task Sleep(double seconds, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromSeconds(Math.Max(0, seconds)), cancellationToken);
}
