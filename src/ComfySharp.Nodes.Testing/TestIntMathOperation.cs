using System.Numerics;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Int Math Operation (TESTPACK.md §6).</summary>
public sealed class TestIntMathOperation : ComfyNode
{
    internal static readonly IntInput A = new("a") { Default = 0, Min = -BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Max = BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Step = 1 };
    internal static readonly IntInput B = new("b") { Default = 0, Min = -BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Max = BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Step = 1 };
    internal static readonly ComboInput Operation = new("operation", ["add", "subtract", "multiply", "divide", "modulo", "power"]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestIntMathOperation", DisplayName = "Int Math Operation", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [A, B, Operation],
        Outputs = [new OutputSpec(IOTypes.INT)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    private static BigInteger FloorDiv(BigInteger a, BigInteger b)
    {
        var q = BigInteger.DivRem(a, b, out BigInteger r);
        return !r.IsZero && (r.Sign < 0) != (b.Sign < 0) ? q - 1 : q;
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        BigInteger a = PackSupport.ToBig(inputs.Raw["a"]);
        BigInteger b = PackSupport.ToBig(inputs.Raw["b"]);
        object result = inputs.Get(Operation) switch
        {
            "add" => PackSupport.FromBig(a + b),
            "subtract" => PackSupport.FromBig(a - b),
            "multiply" => PackSupport.FromBig(a * b),
            "divide" => b.IsZero ? throw new NodeException("ZeroDivisionError", "integer division or modulo by zero") : PackSupport.FromBig(FloorDiv(a, b)),
            "modulo" => b.IsZero ? throw new NodeException("ZeroDivisionError", "integer modulo by zero") : PackSupport.FromBig(a - (b * FloorDiv(a, b))),
            "power" => b.Sign < 0 ? Math.Pow((double)a, (double)b) : PackSupport.FromBig(BigInteger.Pow(a, (int)b)),
            _ => throw new NodeException("ValueError", "unknown operation"),
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
