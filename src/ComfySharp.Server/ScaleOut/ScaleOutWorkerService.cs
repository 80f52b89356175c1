using ComfySharp.Engine.Queue;
using ComfySharp.Storage.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// <c>--role worker</c>: runs a <see cref="ClaimingWorker"/> on the shared queue, woken by the queue's
/// NOTIFY; its execution messages go to the API nodes through an <see cref="EventPublisher"/>.
/// </summary>
internal sealed class ScaleOutWorkerService(PostgresPromptStore store, IPromptRunner runner, ScaleOutSettings settings, ComfyServerOptions options, ILogger<ScaleOutWorkerService> logger)
    : IHostedService, IAsyncDisposable
{
    private EventPublisher? _publisher;
    private NotificationListener? _listener;
    private ClaimingWorker? _worker;
    private Task? _wakeLoop;
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Action<string, Exception> log = ScaleOutRegistration.FailureLog(logger);
        _publisher = new EventPublisher(store.DataSource, log);
        var work = new PostgresWorkQueue(store.DataSource, settings.WorkerId);
        _worker = new ClaimingWorker(work, runner, new RelaySink(_publisher),
            new ClaimingWorkerOptions(settings.Lease, settings.MaxAttempts, options.PreviewMethod, log)
            {
                OnClaimed = claim => logger.LogDebug("Claimed prompt {PromptId} (attempt {Attempt}) {Waited:0.000} ms after it was queued.",
                    claim.Prompt.PromptId, claim.Attempt, claim.WaitedMilliseconds),
            });
        _listener = new NotificationListener(settings.ConnectionString, PostgresPromptStore.QueueChannel);
        ClaimingWorker worker = _worker;
        NotificationListener listener = _listener;
        _wakeLoop = Task.Run(async () =>
        {
            await foreach (var _ in listener.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                worker.Wake();
            }
        }, CancellationToken.None);
        await Task.WhenAny(listener.Listening, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)).ConfigureAwait(false);
        _worker.Start();
        logger.LogInformation("Scale-out worker {Worker} claims prompts (lease {Lease} s, {Attempts} attempt(s) per prompt).",
            settings.WorkerId, settings.Lease.TotalSeconds, settings.MaxAttempts);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_worker is not null)
        {
            await _worker.DisposeAsync().ConfigureAwait(false);
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        if (_wakeLoop is not null)
        {
            await _wakeLoop.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }
    }
}
