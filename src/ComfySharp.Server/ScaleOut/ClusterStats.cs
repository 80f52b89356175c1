using System.Text.Json.Nodes;
using ComfySharp.Storage.Postgres;
using Prometheus;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// The workers and their load on an API node: the <c>workers</c> and <c>cluster_queue</c> keys of
/// <c>/system_stats</c> and the <c>comfysharp_cluster_*</c> / <c>comfysharp_worker_*</c> gauges of
/// <c>/metrics</c>, read from the <see cref="WorkerRegistry"/> and the shared queue when asked.
/// </summary>
internal sealed class ClusterStats
{
    private readonly WorkerRegistry _registry;
    private readonly ClusterQueue _queue;
    private readonly ScaleOutSettings _settings;
    private readonly Gauge _workers;
    private readonly Gauge _queueDepth;
    private readonly Gauge _busy;
    private readonly Gauge _completed;
    private readonly Gauge _loaded;
    private readonly Gauge _age;
    private readonly Gauge _ramFree;
    private readonly HashSet<string> _labelled = new(StringComparer.Ordinal);

    public ClusterStats(WorkerRegistry registry, ClusterQueue queue, ScaleOutSettings settings, CollectorRegistry metrics)
    {
        _registry = registry;
        _queue = queue;
        _settings = settings;
        MetricFactory f = Metrics.WithCustomRegistry(metrics);
        _workers = f.CreateGauge("comfysharp_cluster_workers", "Live scale-out workers (beat within the live window), by state.", ["state"]);
        _queueDepth = f.CreateGauge("comfysharp_cluster_queue_depth", "Prompts in the shared queue of the deployment, by state.", ["state"]);
        _busy = f.CreateGauge("comfysharp_worker_busy", "1 while the worker runs a prompt.", ["worker"]);
        _completed = f.CreateGauge("comfysharp_worker_completed", "Prompts the worker completed since it registered.", ["worker"]);
        _loaded = f.CreateGauge("comfysharp_worker_loaded_models", "Model files the worker has loaded.", ["worker"]);
        _age = f.CreateGauge("comfysharp_worker_heartbeat_age_seconds", "Seconds since the worker's last heartbeat.", ["worker"]);
        _ramFree = f.CreateGauge("comfysharp_worker_ram_free_bytes", "Free memory on the worker's machine.", ["worker"]);
        metrics.AddBeforeCollectCallback(UpdateAsync);
    }

    /// <summary>The <c>/system_stats</c> additions: <c>workers</c> (one object per live worker) and <c>cluster_queue</c>.</summary>
    public async Task AddToAsync(JsonObject stats, CancellationToken cancellationToken)
    {
        IReadOnlyList<WorkerStatus> workers = await _registry.LiveAsync(_settings.LiveWithin, cancellationToken).ConfigureAwait(false);
        var (running, pending) = await _queue.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        stats["workers"] = new JsonArray(workers.Select(w => (JsonNode?)new JsonObject
        {
            ["id"] = w.Beat.Id,
            ["tags"] = Strings(w.Beat.Tags),
            ["loaded_models"] = Strings(w.Beat.LoadedModels),
            ["node_classes"] = w.Beat.NodeClasses.Count,
            ["running"] = w.Beat.Running,
            ["running_seconds"] = w.RunningSeconds is double s ? Math.Round(s, 3) : null,
            ["completed"] = w.Completed,
            ["seen_seconds_ago"] = Math.Round(w.SecondsSinceSeen, 3),
            ["started"] = w.Started.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["ram_total"] = w.Beat.RamTotal,
            ["ram_free"] = w.Beat.RamFree,
        }).ToArray());
        stats["cluster_queue"] = new JsonObject { ["running"] = running.Count, ["pending"] = pending.Count };
    }

    private async Task UpdateAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<WorkerStatus> workers = await _registry.LiveAsync(_settings.LiveWithin, cancellationToken).ConfigureAwait(false);
        var (running, pending) = await _queue.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        _queueDepth.WithLabels("pending").Set(pending.Count);
        _queueDepth.WithLabels("running").Set(running.Count);
        _workers.WithLabels("busy").Set(workers.Count(w => w.Beat.Running is not null));
        _workers.WithLabels("idle").Set(workers.Count(w => w.Beat.Running is null));
        lock (_labelled)
        {
            foreach (string gone in _labelled.Except(workers.Select(w => w.Beat.Id), StringComparer.Ordinal).ToList())
            {
                foreach (Gauge g in new[] { _busy, _completed, _loaded, _age, _ramFree })
                {
                    g.RemoveLabelled(gone);
                }
                _labelled.Remove(gone);
            }
            foreach (WorkerStatus w in workers)
            {
                _labelled.Add(w.Beat.Id);
                _busy.WithLabels(w.Beat.Id).Set(w.Beat.Running is null ? 0 : 1);
                _completed.WithLabels(w.Beat.Id).Set(w.Completed);
                _loaded.WithLabels(w.Beat.Id).Set(w.Beat.LoadedModels.Count);
                _age.WithLabels(w.Beat.Id).Set(w.SecondsSinceSeen);
                _ramFree.WithLabels(w.Beat.Id).Set(w.Beat.RamFree);
            }
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
