using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Start of a counted loop; its copies receive the decremented counter through <c>initial_value0</c> (TESTPACK.md §6.4).</summary>
public sealed class TestForLoopOpen : ComfyNode
{
    internal static readonly IntInput Remaining = new("remaining") { Default = 1, Min = 0, Max = 100000, Step = 1 };
    internal static readonly AnyInput[] InitialValues = [.. Enumerable.Range(1, 4).Select(i => new AnyInput($"initial_value{i}") { OneElementSpec = true })];

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestForLoopOpen", DisplayName = "For Loop Open", Category = "Testing/Flow", PythonModule = PackSupport.Module,
        Required = [Remaining],
        Optional = InitialValues,
        Hidden = [new HiddenInput("initial_value0", HiddenKind.PROMPT) { PassThroughType = IOTypes.Any }],
        Outputs = [new OutputSpec("FLOW_CONTROL", "flow_control"), new OutputSpec(IOTypes.INT, "remaining"), .. Enumerable.Range(1, 4).Select(i => new OutputSpec(IOTypes.Any, $"value{i}"))],
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
        object? remaining = inputs.Raw.TryGetValue("initial_value0", out object? counter) ? counter : inputs.Raw.GetValueOrDefault("remaining");
        object?[] values = [.. InitialValues.Select(v => inputs.Raw.GetValueOrDefault(v.Name))];
        var g = new GraphBuilder(context.NextExpansionPrefix());
        g.Node("TestWhileLoopOpen", [("condition", remaining), ("initial_value0", remaining), .. values.Select((v, i) => ($"initial_value{i + 1}", v))]);
        return ValueTask.FromResult(NodeOutput.Expansion(g.Build(), ["stub", remaining, .. values]));
    }
}
