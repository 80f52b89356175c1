using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Validation;
using ComfySharp.Protocol;

namespace ComfySharp.Benchmarks.Api;

/// <summary>
/// What <c>POST /prompt</c> costs before anything runs: parsing the body (key order preserved) and
/// validating/coercing the graph, for chains of trivial nodes.
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*PromptParsing*'
/// </summary>
[MemoryDiagnoser]
public class PromptParsingBenchmarks
{
    private byte[] _body = null!;
    private PromptValidator _validator = null!;

    /// <summary>Nodes in the chain.</summary>
    [Params(10, 100, 1000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = new NodeRegistry().Add<BenchConstant>().Add<BenchIncrement>().Add<BenchOutput>();
        _validator = new PromptValidator(registry, new EmptyServices());
        var prompt = new JsonObject { ["1"] = new JsonObject { ["class_type"] = "BenchConstant", ["inputs"] = new JsonObject { ["value"] = 1 } } };
        for (int i = 2; i < Nodes; i++)
        {
            prompt[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["class_type"] = "BenchIncrement",
                ["inputs"] = new JsonObject { ["value"] = new JsonArray((i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 0), ["amount"] = "2" },
            };
        }
        prompt[Nodes.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
        {
            ["class_type"] = "BenchOutput",
            ["inputs"] = new JsonObject { ["value"] = new JsonArray((Nodes - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 0) },
        };
        _body = Encoding.UTF8.GetBytes(new JsonObject { ["prompt"] = prompt, ["client_id"] = "bench" }.ToJsonString());
    }

    [Benchmark]
    public JsonNode? Parse() => PythonJson.Parse(_body);

    [Benchmark]
    public async Task<bool> ParseAndValidate()
    {
        var body = (JsonObject)PythonJson.Parse(_body)!;
        PromptValidation result = await _validator.ValidateAsync((JsonObject)body["prompt"]!, null, CancellationToken.None);
        return result.IsValid;
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>An INT constant.</summary>
public sealed class BenchConstant : ComfyNode
{
    public static readonly IntInput Value = new("value") { Default = 0, Min = 0, Max = 1_000_000 };
    private static readonly NodeSchema Definition = new() { ClassType = "BenchConstant", Required = [Value], Outputs = [new OutputSpec(IOTypes.INT)] };
    public override NodeSchema Schema => Definition;
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) => ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value)));
}

/// <summary>Adds a widget value to a linked INT.</summary>
public sealed class BenchIncrement : ComfyNode
{
    public static readonly IntInput Value = new("value") { ForceInput = true };
    public static readonly IntInput Amount = new("amount") { Default = 1, Min = 0, Max = 100 };
    private static readonly NodeSchema Definition = new() { ClassType = "BenchIncrement", Required = [Value, Amount], Outputs = [new OutputSpec(IOTypes.INT)] };
    public override NodeSchema Schema => Definition;
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) => ValueTask.FromResult(NodeOutput.Of(inputs.Get(Value) + inputs.Get(Amount)));
}

/// <summary>An output node that shows an INT.</summary>
public sealed class BenchOutput : ComfyNode
{
    public static readonly IntInput Value = new("value") { ForceInput = true };
    private static readonly NodeSchema Definition = new() { ClassType = "BenchOutput", OutputNode = true, Required = [Value] };
    public override NodeSchema Schema => Definition;
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context) =>
        ValueTask.FromResult(NodeOutput.UiOnly(new JsonObject { ["text"] = new JsonArray(inputs.Get(Value).ToString(System.Globalization.CultureInfo.InvariantCulture)) }));
}
