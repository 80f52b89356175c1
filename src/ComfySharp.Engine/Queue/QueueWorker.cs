using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Engine.Queue;

/// <summary>Settings of the queue worker.</summary>
/// <param name="DefaultPreviewMethod">The <c>--preview-method</c> value.</param>
/// <param name="UnloadModels">Called for <c>/free {"unload_models": true}</c>; null when nothing is loaded outside the executor.</param>
/// <param name="MaxExecutionTime">
/// The watchdog (<c>--max-execution-seconds</c>): a prompt running longer is interrupted and recorded as
/// failed; null (the default) lets prompts run as long as they take.
/// </param>
/// <param name="LogFailure">Receives every failure the worker handles itself (the executor threw, the history could not be written), with the exception.</param>
public sealed record QueueWorkerOptions(
    string DefaultPreviewMethod = "none",
    Action? UnloadModels = null,
    TimeSpan? MaxExecutionTime = null,
    Action<string, Exception>? LogFailure = null)
{
    /// <summary>
    /// How long the watchdog waits, after interrupting a prompt, for the executor to notice: a node stuck
    /// in native code cannot be cancelled, so after this the worker records the prompt and moves on.
    /// </summary>
    public TimeSpan WatchdogGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The single worker of EXECUTION.md §14.2: takes the smallest item, runs it with a fresh interrupt
/// token, stores the history entry, broadcasts <c>status</c>, sends the final <c>executing</c>, then
/// applies <c>/free</c> flags. Never lets an execution failure stop the loop.
/// </summary>
public sealed class QueueWorker : IAsyncDisposable
{
    /// <summary>The exception type recorded for a prompt the watchdog stopped.</summary>
    public const string TimeoutExceptionType = "ExecutionTimeout";

    /// <summary>The message recorded for a prompt that was running when the server stopped.</summary>
    public const string RestartMessage = "The server restarted while this prompt was running; it did not finish.";

    private readonly PromptQueue _queue;
    private readonly PromptHistory _history;
    private readonly IPromptRunner _runner;
    private readonly IExecutionMessageSink _sink;
    private readonly QueueWorkerOptions _options;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource? _interrupt;
    private string? _runningPromptId;
    private bool _unloadRequested;
    private bool _freeMemoryRequested;
    private Task? _loop;
    private int _disposed;

    /// <summary>Creates a worker; call <see cref="Start"/>.</summary>
    public QueueWorker(PromptQueue queue, PromptHistory history, IPromptRunner runner, IExecutionMessageSink sink, QueueWorkerOptions options)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _history = history ?? throw new ArgumentNullException(nameof(history));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The id of the prompt executing now, or null.</summary>
    public string? RunningPromptId
    {
        get
        {
            lock (_lock)
            {
                return _runningPromptId;
            }
        }
    }

    /// <summary>True once started and until stopped (or if the loop ever died): a readiness check.</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>Records prompts abandoned by the previous process as failed, then starts the loop.</summary>
    public void Start()
    {
        foreach (QueueEntry abandoned in _queue.Abandoned)
        {
            _history.Add(abandoned.Prompt, RestartRecord(abandoned.Prompt));
            _queue.ForgetAbandoned(abandoned);
        }
        _loop = Task.Run(() => RunLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// Interrupts the running prompt. With <paramref name="promptId"/>, only if that prompt is the one
    /// running. Idle: no effect (the flag resets at each prompt start).
    /// </summary>
    public void Interrupt(string? promptId = null)
    {
        lock (_lock)
        {
            if (_runningPromptId is null || (promptId is not null && promptId != _runningPromptId))
            {
                return;
            }
            _interrupt?.Cancel();
        }
    }

    /// <summary>Sets the <c>/free</c> flags; they are applied when idle or after the current prompt.</summary>
    public void RequestFree(bool unloadModels, bool freeMemory)
    {
        lock (_lock)
        {
            _unloadRequested |= unloadModels || freeMemory;
            _freeMemoryRequested |= freeMemory;
        }
        _queue.Wake();
    }

    /// <summary>Stops the loop. A prompt still running is cancelled and left in the store as running, so the next start records it as failed.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host stops the worker and the container disposes it: only the first call does the work.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _interrupt?.Cancel();
        }
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stopping.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            QueueEntry? entry;
            try
            {
                entry = await _queue.TakeAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (entry is not null)
                {
                    await RunOneAsync(entry, stopping).ConfigureAwait(false);
                }
                ApplyFreeFlags();
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // The loop is the only consumer of the queue: whatever went wrong around one prompt, it must go on.
                _options.LogFailure?.Invoke("The queue worker failed around a prompt; it goes on with the next.", ex);
            }
        }
    }

    private async Task RunOneAsync(QueueEntry entry, CancellationToken stopping)
    {
        QueuedPrompt prompt = entry.Prompt;
        using var interrupt = new CancellationTokenSource();
        lock (_lock)
        {
            _interrupt = interrupt;
            _runningPromptId = prompt.PromptId;
        }
        ExecutionRecord record;
        try
        {
            record = await RunWithWatchdogAsync(prompt, interrupt).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _options.LogFailure?.Invoke($"Prompt {prompt.PromptId} failed outside the executor's own error handling.", ex);
            record = FailureRecord(prompt, ex);
        }
        finally
        {
            lock (_lock)
            {
                _interrupt = null;
                _runningPromptId = null;
            }
        }
        if (stopping.IsCancellationRequested)
        {
            _queue.FinishRunning(entry, keepInStore: true);
            return;
        }
        try
        {
            _history.Add(prompt, record);
        }
        catch (Exception ex)
        {
            // Never lose the prompt: a record that cannot be stored is replaced by a plain failure record.
            _options.LogFailure?.Invoke($"The history entry of prompt {prompt.PromptId} could not be stored; a failure record replaces it.", ex);
            _history.Add(prompt, FailureRecord(prompt, ex));
        }
        _queue.FinishRunning(entry);
        _sink.Send(MessageTypes.Executing, Messages.ExecutingDone(prompt.PromptId), MessageTarget.ClientOnly, prompt.ClientId);
    }

    // The runner with the watchdog: past MaxExecutionTime the prompt's interrupt token is cancelled (the
    // executor then records it as interrupted); if the executor has not returned WatchdogGrace later (a
    // node stuck in native code), the worker records a timeout (ExecutionTimeout) and leaves the run behind.
    private async Task<ExecutionRecord> RunWithWatchdogAsync(QueuedPrompt prompt, CancellationTokenSource interrupt)
    {
        Task<ExecutionRecord> run = _runner.RunAsync(prompt, _sink, _options.DefaultPreviewMethod, interrupt.Token);
        if (_options.MaxExecutionTime is not TimeSpan limit)
        {
            return await run.ConfigureAwait(false);
        }
        using var watchdog = new CancellationTokenSource();
        Task timer = Task.Delay(limit, watchdog.Token);
        if (await Task.WhenAny(run, timer).ConfigureAwait(false) == run)
        {
            await watchdog.CancelAsync().ConfigureAwait(false);
            return await run.ConfigureAwait(false);
        }
        var timeout = new TimeoutException($"The prompt ran longer than the limit of {limit.TotalSeconds:0.###} seconds (--max-execution-seconds) and was interrupted.");
        _options.LogFailure?.Invoke($"Watchdog: prompt {prompt.PromptId} passed its time limit; interrupting it.", timeout);
        await interrupt.CancelAsync().ConfigureAwait(false);
        if (await Task.WhenAny(run, Task.Delay(_options.WatchdogGrace)).ConfigureAwait(false) == run)
        {
            // The executor noticed: its record (execution_interrupted) is the one clients expect.
            return await run.ConfigureAwait(false);
        }
        _options.LogFailure?.Invoke($"Watchdog: prompt {prompt.PromptId} did not stop within {_options.WatchdogGrace.TotalSeconds:0.###} s of the interrupt; the worker goes on without it.", timeout);
        _ = run.ContinueWith(t => _options.LogFailure?.Invoke($"Watchdog: the abandoned run of prompt {prompt.PromptId} ended.", t.Exception ?? (Exception)timeout),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return FailureRecord(prompt, timeout, TimeoutExceptionType);
    }

    private void ApplyFreeFlags()
    {
        bool unload, free;
        lock (_lock)
        {
            (unload, free) = (_unloadRequested, _freeMemoryRequested);
            _unloadRequested = _freeMemoryRequested = false;
        }
        // The cache first: cached outputs hold the models, so unloading (which collects to run the weights'
        // finalizers) frees nothing while they are still cached. bench/inference.sh's /free + reload cycle
        // peaked at 11.4 GiB with the old order, two and a half copies of an SD1.5 checkpoint.
        if (free)
        {
            _runner.ClearCaches();
        }
        if (unload)
        {
            _options.UnloadModels?.Invoke();
        }
    }

    // The executor should never throw; if it does, the prompt still gets an error entry and the client hears about it.
    private ExecutionRecord FailureRecord(QueuedPrompt prompt, Exception ex, string? exceptionType = null)
    {
        var error = new JsonObject
        {
            ["prompt_id"] = prompt.PromptId,
            ["node_id"] = null,
            ["node_type"] = null,
            ["executed"] = new JsonArray(),
            ["exception_message"] = ex.Message + "\n",
            ["exception_type"] = exceptionType ?? ex.GetType().FullName,
            ["traceback"] = new JsonArray(),
            ["current_inputs"] = new JsonObject(),
            ["current_outputs"] = new JsonArray(),
            ["timestamp"] = Messages.NowMilliseconds(),
        };
        _sink.Send(MessageTypes.ExecutionError, (JsonObject)error.DeepClone(), MessageTarget.ClientOnly, prompt.ClientId);
        return ErrorRecord(error);
    }

    /// <summary>The history record of a prompt that was running when the server stopped.</summary>
    public static ExecutionRecord RestartRecord(QueuedPrompt prompt) => FailedRecord(prompt, "ServerRestarted", RestartMessage);

    /// <summary>The history record of a prompt that failed outside the executor (a lost worker, a restart).</summary>
    public static ExecutionRecord FailedRecord(QueuedPrompt prompt, string exceptionType, string message)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var error = new JsonObject
        {
            ["prompt_id"] = prompt.PromptId,
            ["node_id"] = null,
            ["node_type"] = null,
            ["executed"] = new JsonArray(),
            ["exception_message"] = message + "\n",
            ["exception_type"] = exceptionType,
            ["traceback"] = new JsonArray(),
            ["current_inputs"] = new JsonObject(),
            ["current_outputs"] = new JsonArray(),
            ["timestamp"] = Messages.NowMilliseconds(),
        };
        return ErrorRecord(error);
    }

    private static ExecutionRecord ErrorRecord(JsonObject error) => new(
        ExecutionOutcome.Error,
        new JsonObject(),
        new JsonObject(),
        new JsonObject
        {
            ["status_str"] = "error",
            ["completed"] = false,
            ["messages"] = new JsonArray(new JsonArray(MessageTypes.ExecutionError, error)),
        });
}
