using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Float Condition (TESTPACK.md §6).</summary>
public sealed class TestFloatConditions : ComfyNode
{
    internal static readonly AnyInput A = new("a", IOTypes.FLOAT) { ExtraOptions = Range() };
    internal static readonly AnyInput B = new("b", IOTypes.FLOAT) { ExtraOptions = Range() };
    internal static readonly ComboInput Operation = new("operation", ["==", "!=", "<", ">", "<=", ">="]) { OneElementSpec = true };

    private static System.Text.Json.Nodes.JsonObject Range() => new()
    {
        ["default"] = 0,
        ["min"] = System.Text.Json.Nodes.JsonNode.Parse("-999999999999.0"),
        ["max"] = System.Text.Json.Nodes.JsonNode.Parse("999999999999.0"),
        ["step"] = 1,
    };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestFloatConditions", DisplayName = "Float Condition", Category = "Testing/Logic", PythonModule = PackSupport.Module,
        Required = [A, B, Operation],
        Outputs = [new OutputSpec(IOTypes.BOOLEAN)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        double a = PackSupport.ToDouble(inputs.Raw["a"]);
        double b = PackSupport.ToDouble(inputs.Raw["b"]);
        bool result = inputs.Get(Operation) switch
        {
            "==" => a == b,
            "!=" => a != b,
            "<" => a < b,
            ">" => a > b,
            "<=" => a <= b,
            ">=" => a >= b,
            _ => false,
        };
        return ValueTask.FromResult(NodeOutput.Of(result));
    }
}
