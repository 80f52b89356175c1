using System.Numerics;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Int Condition (TESTPACK.md §6).</summary>
public sealed class TestIntConditions : ComfyNode
{
    internal static readonly IntInput A = new("a") { Default = 0, Min = -BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Max = BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Step = 1 };
    internal static readonly IntInput B = new("b") { Default = 0, Min = -BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Max = BigInteger.Parse("18446744073709551615", System.Globalization.CultureInfo.InvariantCulture), Step = 1 };
    internal static readonly ComboInput Operation = new("operation", ["==", "!=", "<", ">", "<=", ">="]) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestIntConditions", DisplayName = "Int Condition", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [A, B, Operation],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    internal static bool Compare(string operation, int c) => operation switch
    {
        "==" => c == 0,
        "!=" => c != 0,
        "<" => c < 0,
        ">" => c > 0,
        "<=" => c <= 0,
        ">=" => c >= 0,
        _ => false,
    };

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        int c = PackSupport.ToBig(inputs.Raw["a"]).CompareTo(PackSupport.ToBig(inputs.Raw["b"]));
        return ValueTask.FromResult(NodeOutput.Of(Compare(inputs.Get(Operation), c)));
    }
}
