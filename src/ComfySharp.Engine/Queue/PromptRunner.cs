using ComfySharp.Engine.Execution;

namespace ComfySharp.Engine.Queue;

/// <summary>What the queue worker needs from an executor; lets tests run the queue with a stand-in.</summary>
public interface IPromptRunner
{
    /// <summary>The display id of the executing node and the prompt's client id, or null when idle.</summary>
    (string DisplayNodeId, string? ClientId)? Current { get; }

    /// <summary>Runs one prompt; node failures end up in the record.</summary>
    Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt);

    /// <summary>Drops cached outputs and node instances.</summary>
    void ClearCaches();
}

/// <summary>The production runner: the engine's <see cref="PromptExecutor"/>.</summary>
/// <param name="executor">The executor (keeps its caches between prompts).</param>
public sealed class ExecutorRunner(PromptExecutor executor) : IPromptRunner
{
    /// <inheritdoc />
    public (string DisplayNodeId, string? ClientId)? Current => executor.Current;

    /// <inheritdoc />
    public Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt) =>
        executor.ExecuteAsync(prompt, sink, defaultPreviewMethod, interrupt);

    /// <inheritdoc />
    public void ClearCaches() => executor.ClearCaches();
}
