using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Execution;
using ComfySharp.Engine.Validation;

namespace ComfySharp.Benchmarks.Engine;

/// <summary>
/// What the engine suites share: validate + execute one graph of the bench nodes, cold (cache off:
/// every node runs) and fully cached (nothing runs), against the sink the suite chooses. A suite
/// supplies <see cref="Graph"/> and <see cref="Sink"/> and calls <see cref="PrepareExecutors"/> from its setup.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PerNodeConfig))]
public abstract class ExecutorBenchmarks
{
    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    private readonly NodeRegistry _registry = new NodeRegistry().Add<BenchConst>().Add<BenchAddOne>().Add<BenchSum>().Add<BenchOutput>();
    private readonly IServiceProvider _services = new NoServices();
    private PromptExecutor _cold = null!;
    private PromptExecutor _cached = null!;
    private PromptValidator _validator = null!;

    /// <summary>The graph the benchmarks run.</summary>
    protected abstract JsonObject Graph { get; }

    /// <summary>Where the executor's messages go.</summary>
    protected abstract IExecutionMessageSink Sink { get; }

    /// <summary>Every node runs.</summary>
    [Benchmark]
    public Task<ExecutionRecord> Cold() => RunAsync(_cold);

    /// <summary>Nothing runs; the output node is reported from the cache.</summary>
    [Benchmark]
    public Task<ExecutionRecord> FullyCached() => RunAsync(_cached);

    /// <summary>Creates the executors and fills the cached one's cache (call after the graph is built).</summary>
    protected void PrepareExecutors()
    {
        _validator = new PromptValidator(_registry, _services);
        _cold = new PromptExecutor(_registry, _services, new CacheOptions(CacheMode.None));
        _cached = new PromptExecutor(_registry, _services, new CacheOptions());
        RunAsync(_cached).GetAwaiter().GetResult();
    }

    private async Task<ExecutionRecord> RunAsync(PromptExecutor executor)
    {
        JsonObject graph = Graph;
        var validation = await _validator.ValidateAsync(graph, null, CancellationToken.None).ConfigureAwait(false);
        var prompt = new QueuedPrompt(0, false, "bench", graph, new JsonObject { ["client_id"] = "bench" }, validation.OutputsToExecute);
        return await executor.ExecuteAsync(prompt, Sink, "none", CancellationToken.None).ConfigureAwait(false);
    }
}
