using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>End of a counted loop: expands into decrement, test and a while-loop close (TESTPACK.md §6.4).</summary>
public sealed class TestForLoopClose : ComfyNode
{
    internal static readonly AnyInput FlowControl = new("flow_control", "FLOW_CONTROL") { RawLink = true };
    internal static readonly AnyInput[] InitialValues = [.. Enumerable.Range(1, 4).Select(i => new AnyInput($"initial_value{i}") { RawLink = true })];

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestForLoopClose", DisplayName = "For Loop Close", Category = "Testing/Flow", PythonModule = PackSupport.Module,
        Required = [FlowControl],
        Optional = InitialValues,
        Outputs = [.. Enumerable.Range(1, 4).Select(i => new OutputSpec(IOTypes.Any, $"value{i}"))],
        Validation = PackSupport.VariantSignature,
        VariantOutputTypes = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        ValueTask.FromResult(PackSupport.VariantCheck(Definition, inputTypes));

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        var flow = inputs.Raw.GetValueOrDefault("flow_control") as JsonArray ?? throw new NodeException("TypeError", "flow_control must be a link");
        string open = (string)flow[0]!;
        var g = new GraphBuilder(context.NextExpansionPrefix());
        var sub = g.Node("TestIntMathOperation", ("operation", "subtract"), ("a", new NodeLink(open, 1)), ("b", 1L));
        var cond = g.Node("TestToBoolNode", ("value", sub.Out(0)));
        var close = g.Node("TestWhileLoopClose",
        [
            ("flow_control", new NodeLink(open, 0)),
            ("condition", cond.Out(0)),
            ("initial_value0", sub.Out(0)),
            .. InitialValues.Select(v => (v.Name, (object?)(inputs.Raw.GetValueOrDefault(v.Name) as JsonNode))),
        ]);
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), [close.Out(1), close.Out(2), close.Out(3), close.Out(4)]));
    }
}
