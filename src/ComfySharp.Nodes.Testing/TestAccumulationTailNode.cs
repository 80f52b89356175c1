using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>Accumulation Tail (TESTPACK.md §6.5). An ACCUMULATION is an object <c>{"accum": [items]}</c>.</summary>
public sealed class TestAccumulationTailNode : ComfyNode
{
    internal static readonly AnyInput Accumulation = new("accumulation", "ACCUMULATION") { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestAccumulationTailNode", DisplayName = "Accumulation Tail", Category = "Testing/Lists", PythonModule = PackSupport.Module,
        Required = [Accumulation],
        Outputs = [new OutputSpec("ACCUMULATION"), new OutputSpec(IOTypes.Any)],

    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        object? accumulation = inputs.Raw.GetValueOrDefault("accumulation");
        var items = Accumulations.Items(accumulation);
        if (items.Count == 0) { return ValueTask.FromResult(NodeOutput.Of(null, accumulation)); }
        return ValueTask.FromResult(NodeOutput.Of(Accumulations.Make(items.Take(items.Count - 1).ToList()), items[^1]));
    }
}
