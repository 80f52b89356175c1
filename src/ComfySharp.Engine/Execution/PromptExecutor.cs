using System.Collections.Frozen;
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
    private readonly OutputCache _cache;

    /// <summary>Creates an executor.</summary>
    public PromptExecutor(NodeRegistry registry, IServiceProvider services, CacheOptions cacheOptions)
    {
        _registry = registry;
        _services = services;
        _cache = new OutputCache(cacheOptions);
    }

    /// <summary>
    /// The display id of the node executing right now and the prompt's client id, or null when idle
    /// (sent to a socket that reconnects with that client id, WEBSOCKET.md §1).
    /// </summary>
    public (string DisplayNodeId, string? ClientId)? Current { get; private set; }

    private static readonly FrozenSet<string> KnownPreviewMethods = new string[] { "none", "auto", "latent2rgb", "taesd" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Number of entries in the output cache (for diagnostics and tests).</summary>
    public int CachedEntryCount => _cache.Count;

    /// <summary>
    /// Runs <paramref name="prompt"/>. <paramref name="interrupt"/> is cancelled by <c>POST /interrupt</c>;
    /// <paramref name="defaultPreviewMethod"/> applies unless <c>extra_data.preview_method</c> overrides it.
    /// Call it for one prompt at a time (the queue worker does). Never throws for node failures: they end up in the returned record. Sends everything up to and
    /// including <c>execution_success</c>/<c>execution_error</c>/<c>execution_interrupted</c>; the caller sends
    /// the following <c>status</c> and the final <c>executing {node: null}</c> after storing history.
    /// </summary>
    public async Task<ExecutionRecord> ExecuteAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sink);
        // API.md §3: "default" and unknown strings mean the server's --preview-method.
        string previewMethod = prompt.ExtraData["preview_method"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out string? method)
            && KnownPreviewMethods.Contains(method) ? method : defaultPreviewMethod;
        try
        {
            var run = new ExecutionRun(_registry, _services, _cache, prompt, sink, previewMethod, c => Current = c, interrupt);
            return await run.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            Current = null;
        }
    }

    /// <summary>Empties the output and object caches (<c>POST /free {"free_memory": true}</c>).</summary>
    public void ClearCaches() => _cache.Clear();
}
