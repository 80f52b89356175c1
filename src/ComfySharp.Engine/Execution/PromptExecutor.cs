using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Execution;

/// <summary>
/// Executes validated prompts one at a time (EXECUTION.md §5–§13): ordering, caching, lists, lazy
/// inputs, expansion, async nodes, interrupts, progress; reports every message to a sink and
/// returns the history record. Keeps the output and object caches between prompts.
/// </summary>
public sealed class PromptExecutor
{
    private readonly NodeRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly CacheOptions _cacheOptions;

    /// <summary>Creates an executor.</summary>
    public PromptExecutor(NodeRegistry registry, IServiceProvider services, CacheOptions cacheOptions)
    {
        _registry = registry;
        _services = services;
        _cacheOptions = cacheOptions;
    }

    /// <summary>
    /// The display id of the node executing right now and the prompt's client id, or null when idle
    /// (sent to a socket that reconnects with that client id, WEBSOCKET.md §1).
    /// </summary>
    public (string DisplayNodeId, string? ClientId)? Current { get; private set; }

    /// <summary>
    /// Runs <paramref name="prompt"/>. <paramref name="interrupt"/> is cancelled by <c>POST /interrupt</c>;
    /// <paramref name="defaultPreviewMethod"/> applies unless <c>extra_data.preview_method</c> overrides it.
    /// Never throws for node failures: they end up in the returned record.
    /// </summary>
    public Task<ExecutionRecord> ExecuteAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
    {
        _ = (_registry, _services, _cacheOptions, prompt, sink, defaultPreviewMethod, interrupt);
        throw new NotImplementedException("Execution lands with the execution engine (issue 3).");
    }

    /// <summary>Empties the output and object caches (<c>POST /free {"free_memory": true}</c>).</summary>
    public void ClearCaches() => Current = null;
}
