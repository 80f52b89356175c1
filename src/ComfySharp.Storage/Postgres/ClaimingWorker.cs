using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// A scale-out worker's loop: claim the next prompt from the shared queue, renew its lease while it runs,
/// store its history entry exactly once, and take back prompts of workers that died. Idle, it waits for
/// the queue's NOTIFY (or <see cref="ClaimingWorkerOptions.IdlePoll"/>).
/// </summary>
public sealed class ClaimingWorker : IAsyncDisposable
{
    private readonly PostgresWorkQueue _work;
    private readonly IPromptRunner _runner;
    private readonly IExecutionMessageSink _sink;
    private readonly LeaseReaper _reaper;
    private readonly ClaimingWorkerOptions _options;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private readonly Lock _runningLock = new();
    private DateTime _nextReap = DateTime.MinValue;
    private long _completed;
    private ClaimedPrompt? _running;
    private CancellationTokenSource? _interrupt;

    /// <summary>Creates the worker; call <see cref="Start"/>.</summary>
    public ClaimingWorker(PostgresWorkQueue work, IPromptRunner runner, IExecutionMessageSink sink, ClaimingWorkerOptions options)
    {
        _work = work ?? throw new ArgumentNullException(nameof(work));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _reaper = new LeaseReaper(work, sink, options.MaxAttempts, line => options.LogFailure?.Invoke(line, new TimeoutException(line)));
    }

    /// <summary>Prompts this worker completed (history stored).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>The id of the prompt this worker runs now, or null.</summary>
    public string? RunningPromptId
    {
        get
        {
            lock (_runningLock)
            {
                return _running?.Prompt.PromptId;
            }
        }
    }

    /// <summary>
    /// Interrupts the running prompt (an API node's <c>/interrupt</c> or cancel, relayed on
    /// <see cref="ControlMessage.Channel"/>). With <paramref name="promptId"/>, only if that prompt is the
    /// one running here. The executor then records it as interrupted, as in a single process.
    /// </summary>
    public void Interrupt(string? promptId)
    {
        lock (_runningLock)
        {
            if (_running is not null && (promptId is null || promptId == _running.Prompt.PromptId))
            {
                _interrupt?.Cancel();
            }
        }
    }

    /// <summary>Starts the loop.</summary>
    public void Start() => _loop = Task.Run(() => RunLoopAsync(_stopping.Token));

    /// <summary>Wakes an idle worker (a prompt was queued).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Stops; a prompt still running is cancelled and its lease left to expire (another worker retries it).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
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
        _wake.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow >= _nextReap)
                {
                    _nextReap = DateTime.UtcNow + (_options.Lease / 2);
                    await _reaper.ReapAsync(stopping).ConfigureAwait(false);
                }
                ClaimPreferences preferences = _options.Preferences?.Invoke() ?? ClaimPreferences.None;
                ClaimedPrompt? claim = await _work.ClaimAsync(_options.Lease, preferences, stopping).ConfigureAwait(false);
                if (claim is null)
                {
                    await _wake.WaitAsync(_options.IdlePoll, stopping).ConfigureAwait(false);
                    continue;
                }
                _options.OnClaimed?.Invoke(claim);
                await RunOneAsync(claim, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be away for a moment: never let the loop die; back off a little.
                _options.LogFailure?.Invoke("The scale-out worker failed around a prompt; it goes on.", e);
                await Task.Delay(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task RunOneAsync(ClaimedPrompt claim, CancellationToken stopping)
    {
        QueuedPrompt prompt = claim.Prompt;
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var heartbeatStop = new CancellationTokenSource();
        lock (_runningLock)
        {
            _running = claim;
            _interrupt = interrupt;
        }
        bool leaseLost = false;
        Task heartbeat = Task.Run(async () =>
        {
            TimeSpan every = _options.Lease / 3;
            while (!heartbeatStop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, heartbeatStop.Token).ConfigureAwait(false);
                    if (!await _work.RenewAsync(claim, _options.Lease, heartbeatStop.Token).ConfigureAwait(false))
                    {
                        leaseLost = true;
                        await interrupt.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    // One failed renewal is not a lost lease: try again at the next beat.
                    _options.LogFailure?.Invoke($"Lease renewal of prompt {prompt.PromptId} failed.", e);
                }
            }
        }, CancellationToken.None);
        ExecutionRecord record;
        try
        {
            record = await _runner.RunAsync(prompt, _sink, _options.DefaultPreviewMethod, interrupt.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            _options.LogFailure?.Invoke($"Prompt {prompt.PromptId} failed outside the executor's own error handling.", e);
            record = QueueWorker.FailedRecord(prompt, e.GetType().FullName ?? "Exception", e.Message);
        }
        finally
        {
            lock (_runningLock)
            {
                _running = null;
                _interrupt = null;
            }
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }
        if (stopping.IsCancellationRequested || leaseLost)
        {
            // Not ours to record: the lease expires (or expired) and another worker takes the prompt.
            return;
        }
        if (await _work.CompleteAsync(claim, PromptHistory.EntryJson(prompt, record), CancellationToken.None).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _completed);
            _sink.Send(MessageTypes.Executing, Messages.ExecutingDone(prompt.PromptId), MessageTarget.ClientOnly, prompt.ClientId);
        }
    }
}
