using ComfySharp.Abstractions;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Endpoints;
using ComfySharp.Storage.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// <c>--role worker</c>: runs a <see cref="ClaimingWorker"/> on the shared queue, woken by the queue's
/// NOTIFY; its execution messages (previews included) go to the API nodes through an
/// <see cref="EventPublisher"/>; interrupts come from the API nodes on <see cref="ControlMessage.Channel"/>;
/// it beats in the <see cref="WorkerRegistry"/> (tags, loaded models, node classes, current prompt).
/// </summary>
internal sealed class ScaleOutWorkerService(PostgresPromptStore store, IPromptRunner runner, ScaleOutSettings settings, ComfyServerOptions options,
    NodeRegistry nodes, ILogger<ScaleOutWorkerService> logger)
    : IHostedService, IAsyncDisposable
{
    private EventPublisher? _publisher;
    private NotificationListener? _listener;
    private ClaimingWorker? _worker;
    private Task? _wakeLoop;
    private Task? _beatLoop;
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Action<string, Exception> log = ScaleOutRegistration.FailureLog(logger);
        _publisher = new EventPublisher(store.DataSource, log);
        var work = new PostgresWorkQueue(store.DataSource, settings.WorkerId);
        var registry = new WorkerRegistry(store.DataSource);
        _worker = new ClaimingWorker(work, runner, new RelaySink(_publisher),
            new ClaimingWorkerOptions(settings.Lease, settings.MaxAttempts, options.PreviewMethod, log)
            {
                OnClaimed = claim => logger.LogDebug("Claimed prompt {PromptId} (attempt {Attempt}) {Waited:0.000} ms after it was queued.",
                    claim.Prompt.PromptId, claim.Attempt, claim.WaitedMilliseconds),
                Preferences = () => new ClaimPreferences(settings.Tags, LoadedModels()) { LiveWithin = settings.LiveWithin },
            });
        _listener = new NotificationListener(settings.ConnectionString, PostgresPromptStore.QueueChannel, ControlMessage.Channel);
        ClaimingWorker worker = _worker;
        NotificationListener listener = _listener;
        _wakeLoop = Task.Run(async () =>
        {
            await foreach (var (channel, payload) in listener.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (channel == ControlMessage.Channel)
                {
                    if (ControlMessage.Parse(payload) is { Operation: ControlMessage.Interrupt } control)
                    {
                        logger.LogInformation("Interrupt from an API node ({Prompt}).", control.PromptId ?? "whatever runs");
                        worker.Interrupt(control.PromptId);
                    }
                    continue;
                }
                worker.Wake();
            }
        }, CancellationToken.None);
        // The first beat before the first claim: API nodes validate against the live workers' catalogues.
        await BeatAsync(registry, worker, cancellationToken).ConfigureAwait(false);
        _beatLoop = Task.Run(() => BeatLoopAsync(registry, worker, _stopping.Token), CancellationToken.None);
        await Task.WhenAny(listener.Listening, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)).ConfigureAwait(false);
        _worker.Start();
        logger.LogInformation("Scale-out worker {Worker} claims prompts (lease {Lease} s, {Attempts} attempt(s) per prompt, tags [{Tags}]).",
            settings.WorkerId, settings.Lease.TotalSeconds, settings.MaxAttempts, string.Join(",", settings.Tags));
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
        foreach (Task? task in new[] { _wakeLoop, _beatLoop })
        {
            if (task is not null)
            {
                await task.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        try
        {
            // A clean stop leaves the registry at once (a killed worker ages out of it).
            await new WorkerRegistry(store.DataSource).RemoveAsync(settings.WorkerId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(e, "Could not leave the workers' registry.");
        }
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }
    }

    private List<string> LoadedModels() =>
        options.LoadedModelFiles?.Invoke().Select(PromptRouting.ModelName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() ?? [];

    private async Task BeatAsync(WorkerRegistry registry, ClaimingWorker worker, CancellationToken cancellationToken)
    {
        var (total, free) = SystemEndpoints.Memory();
        await registry.BeatAsync(new WorkerBeat(settings.WorkerId, settings.Tags, LoadedModels(), nodes.All.Select(n => n.Schema.ClassType).ToList(),
            worker.RunningPromptId, total, free), cancellationToken).ConfigureAwait(false);
    }

    private async Task BeatLoopAsync(WorkerRegistry registry, ClaimingWorker worker, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.Beat, stopping).ConfigureAwait(false);
                await BeatAsync(registry, worker, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(e, "The worker's heartbeat in the registry failed; trying again.");
            }
        }
    }
}
