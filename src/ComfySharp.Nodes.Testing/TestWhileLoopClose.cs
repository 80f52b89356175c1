using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>
/// End of a while loop: while the condition holds, copies the loop body (every node between the open
/// node and itself) as an expansion and recurses (TESTPACK.md §6.4).
/// </summary>
public sealed class TestWhileLoopClose : ComfyNode
{
    internal static readonly AnyInput FlowControl = new("flow_control", "FLOW_CONTROL") { RawLink = true };
    internal static readonly BooleanInput Condition = new("condition") { ForceInput = true };
    internal static readonly AnyInput[] InitialValues = [.. Enumerable.Range(0, 5).Select(i => new AnyInput($"initial_value{i}") { OneElementSpec = true })];

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "TestWhileLoopClose", DisplayName = "While Loop Close", Category = "Testing/Flow", PythonModule = PackSupport.Module,
        Required = [FlowControl, Condition],
        Optional = InitialValues,
        Hidden = [new HiddenInput("dynprompt", HiddenKind.DYNPROMPT), new HiddenInput("unique_id", HiddenKind.UNIQUE_ID)],
        Outputs = [.. Enumerable.Range(0, 5).Select(i => new OutputSpec(IOTypes.Any, $"value{i}"))],
        Validation = PackSupport.VariantSignature,
        VariantOutputTypes = true,
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services) =>
        ValueTask.FromResult(PackSupport.VariantCheck(Definition, inputTypes));

    private static bool IsLink(JsonNode? value, out string id, out int slot)
    {
        id = "";
        slot = 0;
        if (value is not JsonArray { Count: 2 } array || array[0] is not JsonValue first || !first.TryGetValue(out string? s)) { return false; }
        if (array[1] is not JsonValue second) { return false; }
        if (second.TryGetValue(out long l)) { slot = (int)l; }
        else if (second.TryGetValue(out int i)) { slot = i; }
        else if (second.TryGetValue(out System.Text.Json.JsonElement e) && e.ValueKind == System.Text.Json.JsonValueKind.Number) { slot = e.GetInt32(); }
        else { return false; }
        id = s!;
        return true;
    }

    private static void ExploreDependencies(string nodeId, IDynamicPrompt graph, Dictionary<string, List<string>> upstream, List<string> upstreamOrder)
    {
        var node = graph.GetNode(nodeId);
        if (node["inputs"] is not JsonObject inputs) { return; }
        foreach (var (_, value) in inputs)
        {
            if (!IsLink(value, out string parent, out _)) { continue; }
            if (!upstream.TryGetValue(parent, out var consumers))
            {
                consumers = [];
                upstream[parent] = consumers;
                upstreamOrder.Add(parent);
                ExploreDependencies(parent, graph, upstream, upstreamOrder);
            }
            consumers.Add(nodeId);
        }
    }

    private static void CollectContained(string nodeId, Dictionary<string, List<string>> upstream, List<string> contained)
    {
        if (!upstream.TryGetValue(nodeId, out var children)) { return; }
        foreach (string child in children)
        {
            if (contained.Contains(child)) { continue; }
            contained.Add(child);
            CollectContained(child, upstream, contained);
        }
    }

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        object?[] current = [.. InitialValues.Select(v => inputs.Raw.GetValueOrDefault(v.Name))];
        if (!PackSupport.Truthy(inputs.Raw.GetValueOrDefault("condition")))
        {
            return ValueTask.FromResult(NodeOutput.Of(current));
        }
        var graph = context.DynamicPrompt;
        string self = context.NodeId;
        var upstream = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        ExploreDependencies(self, graph, upstream, []);
        var flow = inputs.Raw.GetValueOrDefault("flow_control") as JsonArray
            ?? throw new NodeException("TypeError", "flow_control must be a link");
        string open = IsLink(flow, out string openId, out _) ? openId : throw new NodeException("TypeError", "flow_control must be a link");
        var contained = new List<string>();
        CollectContained(open, upstream, contained);
        if (!contained.Contains(self)) { contained.Add(self); }
        if (!contained.Contains(open)) { contained.Add(open); }

        var builder = new GraphBuilder(context.NextExpansionPrefix());
        string LocalId(string id) => id == self ? "Recurse" : id;
        var copies = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (string id in contained)
        {
            var original = graph.GetNode(id);
            copies[id] = builder.Node((string)original["class_type"]!, LocalId(id), id);
        }
        foreach (string id in contained)
        {
            var original = graph.GetNode(id);
            var copy = copies[id];
            if (original["inputs"] is not JsonObject originalInputs) { continue; }
            foreach (var (key, value) in originalInputs)
            {
                if (IsLink(value, out string parent, out int slot) && copies.TryGetValue(parent, out var parentCopy))
                {
                    copy.Inputs[key] = parentCopy.Out(slot).ToJson();
                }
                else if (value is not null)
                {
                    copy.Inputs[key] = GraphBuilder.CloneValue(value);
                }
            }
        }
        var newOpen = copies[open];
        for (int i = 0; i < current.Length; i++)
        {
            string key = $"initial_value{i}";
            if (current[i] is null) { newOpen.Inputs.Remove(key); }
            else { newOpen.Inputs[key] = GraphBuilder.ToJson(current[i]); }
        }
        var recurse = copies[self];
        return ValueTask.FromResult(NodeOutput.Expansion(builder.Build(), [.. Enumerable.Range(0, 5).Select(i => (object?)recurse.Out(i))]));
    }
}
