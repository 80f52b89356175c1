using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;

namespace ComfySharp.Benchmarks.Engine;

/// <summary>
/// Validate + execute large graphs of trivial nodes: chains and fan-ins of 1,000 and 10,000 nodes,
/// cold (cache off: every node runs) and fully cached (nothing runs), with nobody listening (no socket).
/// The "Per node" column divides the mean by the node count: equal figures at both sizes show linear cost.
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*EngineBenchmarks*' --inProcess --job short
/// </summary>
public class EngineBenchmarks : ExecutorBenchmarks
{
    private sealed class NullSink : IExecutionMessageSink
    {
        public void Send(string type, JsonObject data, MessageTarget target, string? clientId) { }
        public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId) { }
        public void SendText(string nodeId, string text) { }
        public bool HasRecipients(MessageTarget target, string? clientId) => false;
    }

    private readonly NullSink _sink = new();
    private JsonObject _chain = [];
    private JsonObject _fanIn = [];

    [Params("chain", "fanin")]
    public string Shape { get; set; } = "chain";

    [Params(1_000, 10_000)]
    public int Nodes { get; set; } = 10_000;

    protected override JsonObject Graph => Shape == "chain" ? _chain : _fanIn;

    protected override IExecutionMessageSink Sink => _sink;

    [GlobalSetup]
    public void Setup()
    {
        _chain = Chain(Nodes);
        _fanIn = FanIn(Nodes);
        PrepareExecutors();
    }

    private static string Id(int i) => i.ToString(CultureInfo.InvariantCulture);

    internal static JsonObject Chain(int length)
    {
        var graph = new JsonObject { ["0"] = Node("BenchConst", new JsonObject { ["value"] = 0 }) };
        for (int i = 1; i < length; i++)
        {
            graph[Id(i)] = Node("BenchAddOne", new JsonObject { ["value"] = new JsonArray(Id(i - 1), 0) });
        }
        graph["out"] = Node("BenchOutput", new JsonObject { ["value"] = new JsonArray(Id(length - 1), 0) });
        return graph;
    }

    internal static JsonObject FanIn(int width)
    {
        var graph = new JsonObject();
        var sumInputs = new JsonObject();
        for (int i = 0; i < width; i++)
        {
            graph[Id(i)] = Node("BenchConst", new JsonObject { ["value"] = i });
            sumInputs["input" + Id(i)] = new JsonArray(Id(i), 0);
        }
        graph["sum"] = Node("BenchSum", sumInputs);
        graph["out"] = Node("BenchOutput", new JsonObject { ["value"] = new JsonArray("sum", 0) });
        return graph;
    }

    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };
}

/// <summary>Returns its INT widget.</summary>
public sealed class BenchConst : ComfyNode
{
    private static readonly IntInput Value = new("value") { Default = 0 };
    private static readonly NodeSchema Definition = new() { ClassType = "BenchConst", Required = [Value], Outputs = [new OutputSpec(IOTypes.INT)] };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) => ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value)));
}

/// <summary>Adds one.</summary>
public sealed class BenchAddOne : ComfyNode
{
    private static readonly AnyInput Value = new("value", IOTypes.INT);
    private static readonly NodeSchema Definition = new() { ClassType = "BenchAddOne", Required = [Value], Outputs = [new OutputSpec(IOTypes.INT)] };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) => ValueTask.FromResult(NodeOutput.Of((long)inputs.Get(Value)! + 1));
}

/// <summary>Sums every (undeclared, variadic) linked input.</summary>
public sealed class BenchSum : ComfyNode
{
    private static readonly NodeSchema Definition = new() { ClassType = "BenchSum", Outputs = [new OutputSpec(IOTypes.INT)] };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.Of(inputs.Raw.Values.Sum(v => (long)v!)));
}

/// <summary>An output node with UI.</summary>
public sealed class BenchOutput : ComfyNode
{
    private static readonly AnyInput Value = new("value", IOTypes.INT);
    private static readonly NodeSchema Definition = new() { ClassType = "BenchOutput", OutputNode = true, Required = [Value] };

    public override NodeSchema Schema => Definition;

    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["text"] = new JsonArray(inputs.Get(Value)?.ToString()) }));
}
