using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Execution;
using ComfySharp.Engine.Validation;

namespace ComfySharp.Benchmarks.Engine;

/// <summary>
/// The engine's share of LoadGen's <c>chain100</c> with a client listening: validate + execute a 100-node chain
/// of trivial nodes with a sink that has recipients, so every <c>progress_state</c> snapshot (n²/2 entries per
/// prompt) is built; cold (every node runs) and fully cached. No tensors and no socket: only the engine's cost.
/// Run: dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*ListeningChainBenchmarks*' --inProcess --job short
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PerNodeConfig))]
public class ListeningChainBenchmarks
{
    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    /// <summary>A sink with a listener that drops what it gets: the pre-serialised bytes are built, never parsed.</summary>
    private sealed class ListeningSink : IExecutionMessageSink
    {
        public long Bytes { get; private set; }

        public void Send(string type, JsonObject data, MessageTarget target, string? clientId) { }
        public void SendSerialized(string type, byte[] envelope, Func<JsonObject> data, MessageTarget target, string? clientId) => Bytes += envelope.Length;
        public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId) { }
        public void SendText(string nodeId, string text) { }
        public bool HasRecipients(MessageTarget target, string? clientId) => true;
    }

    private readonly NodeRegistry _registry = new NodeRegistry().Add<BenchConst>().Add<BenchAddOne>().Add<BenchSum>().Add<BenchOutput>();
    private readonly IServiceProvider _services = new NoServices();
    private readonly ListeningSink _sink = new();
    private JsonObject _chain = [];
    private PromptExecutor _cold = null!;
    private PromptExecutor _cached = null!;
    private PromptValidator _validator = null!;

    /// <summary>Nodes in the chain (the constant, the adders and the output).</summary>
    [Params(100)]
    public int Nodes { get; set; } = 100;

    /// <summary>Builds the graph and fills the cache of the cached executor.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _chain = EngineBenchmarks.Chain(Nodes - 1);
        _validator = new PromptValidator(_registry, _services);
        _cold = new PromptExecutor(_registry, _services, new CacheOptions(CacheMode.None));
        _cached = new PromptExecutor(_registry, _services, new CacheOptions());
        RunAsync(_cached).GetAwaiter().GetResult();
    }

    private async Task<ExecutionRecord> RunAsync(PromptExecutor executor)
    {
        var validation = await _validator.ValidateAsync(_chain, null, CancellationToken.None).ConfigureAwait(false);
        var prompt = new QueuedPrompt(0, false, "bench", _chain, new JsonObject { ["client_id"] = "bench" }, validation.OutputsToExecute);
        return await executor.ExecuteAsync(prompt, _sink, "none", CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Every node runs.</summary>
    [Benchmark]
    public Task<ExecutionRecord> Cold() => RunAsync(_cold);

    /// <summary>Nothing runs; the output node is reported from the cache.</summary>
    [Benchmark]
    public Task<ExecutionRecord> FullyCached() => RunAsync(_cached);
}
