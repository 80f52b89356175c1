using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.WebSockets;
using Prometheus;

namespace ComfySharp.Server.Service;

/// <summary>
/// The <c>/metrics</c> collectors, in a registry of this server's own (two servers in one process
/// never share counters). Prompt and node figures come from the execution messages; queue depth and
/// sockets are read at scrape time; model loads come from the <c>ComfySharp.Models</c> meter that the
/// model manager publishes; process figures from prometheus-net's .NET collectors.
/// </summary>
internal sealed class ServiceMetrics : IExecutionObserver, IDisposable
{
    /// <summary>The meter the model manager publishes (ComfySharp.Torch), read here by name.</summary>
    public const string ModelMeterName = "ComfySharp.Models";

    private static readonly double[] TimeBuckets = Histogram.ExponentialBuckets(0.001, 2, 20);

    private readonly Lazy<PromptQueue> _queue;
    private readonly Gauge _queueDepth;
    private readonly Gauge _paused;
    private readonly Counter _prompts;
    private readonly Histogram _queueWait;
    private readonly Histogram _executionTime;
    private readonly Histogram _nodeTime;
    private readonly Counter _cacheHits;
    private readonly Counter _modelLoads;
    private readonly Histogram _modelLoadTime;
    private readonly Gauge _sockets;
    private readonly Counter _webhooks;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, RunningPrompt> _running = new(StringComparer.Ordinal);

    // The queue is resolved lazily: it sends through the sink this observer is part of.
    public ServiceMetrics(IServiceProvider services, ClientHub hub)
    {
        _queue = new Lazy<PromptQueue>(() => (PromptQueue)services.GetService(typeof(PromptQueue))!);
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        MetricFactory f = Metrics.WithCustomRegistry(Registry);
        _queueDepth = f.CreateGauge("comfysharp_queue_depth", "Prompts in the queue by state.", ["state"]);
        _paused = f.CreateGauge("comfysharp_queue_paused", "1 while the queue worker is paused.");
        _prompts = f.CreateCounter("comfysharp_prompts_total", "Prompts that finished, by outcome.", ["outcome"]);
        _queueWait = f.CreateHistogram("comfysharp_queue_wait_seconds", "Time from acceptance to execution start.", ["priority"], new HistogramConfiguration { Buckets = TimeBuckets });
        _executionTime = f.CreateHistogram("comfysharp_execution_seconds", "Execution time of a prompt.", ["outcome"], new HistogramConfiguration { Buckets = TimeBuckets });
        _nodeTime = f.CreateHistogram("comfysharp_node_execution_seconds", "Execution time of a node, by class_type.", ["class_type"], new HistogramConfiguration { Buckets = TimeBuckets });
        _cacheHits = f.CreateCounter("comfysharp_cache_hits_total", "Nodes whose outputs came from the cache.");
        _modelLoads = f.CreateCounter("comfysharp_model_loads_total", "Models loaded from disk.");
        _modelLoadTime = f.CreateHistogram("comfysharp_model_load_seconds", "Time to load a model from disk.", new HistogramConfiguration { Buckets = TimeBuckets });
        _sockets = f.CreateGauge("comfysharp_websockets_connected", "Connected WebSocket clients.");
        _webhooks = f.CreateCounter("comfysharp_webhook_deliveries_total", "Webhook delivery attempts, by result.", ["result"]);
        Registry.AddBeforeCollectCallback(() =>
        {
            var (running, pending) = _queue.Value.Snapshot();
            _queueDepth.WithLabels("pending").Set(pending.Count);
            _queueDepth.WithLabels("running").Set(running is null ? 0 : 1);
            _paused.Set(_queue.Value.IsPaused ? 1 : 0);
            _sockets.Set(hub.Count);
        });
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ModelMeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "comfysharp.model.load.duration")
            {
                _modelLoads.Inc();
                _modelLoadTime.Observe(value);
            }
        });
        _listener.Start();
    }

    /// <summary>This server's collectors.</summary>
    public CollectorRegistry Registry { get; }

    public bool WantsEverything => false;

    /// <summary>Counts a webhook delivery attempt (<c>delivered</c>, <c>failed</c>, <c>gave_up</c>).</summary>
    public void WebhookAttempt(string result) => _webhooks.WithLabels(result).Inc();

    public void OnMessage(string type, JsonObject data, MessageTarget target, string? clientId)
    {
        string? promptId = data["prompt_id"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (promptId is null)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        switch (type)
        {
            case MessageTypes.ExecutionStart:
                QueuedPrompt? prompt = _queue.Value.Find(promptId);
                if (prompt?.ExtraData["create_time"] is JsonValue created && created.TryGetValue(out long createdMs))
                {
                    double wait = Math.Max(0, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - createdMs) / 1000.0);
                    string priority = prompt.ExtraData["priority"] is JsonValue { } p && p.GetValueKind() == JsonValueKind.Number ? "set" : "default";
                    _queueWait.WithLabels(priority).Observe(wait);
                }
                _running[promptId] = new RunningPrompt(now, prompt?.Prompt);
                break;
            case MessageTypes.ExecutionCached:
                _cacheHits.Inc(data["nodes"] is JsonArray nodes ? nodes.Count : 0);
                break;
            case MessageTypes.Executing:
                if (_running.TryGetValue(promptId, out RunningPrompt? run))
                {
                    run.EndNode(now, _nodeTime);
                    string? display = (data["display_node"] ?? data["node"]) is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : null;
                    if (display is not null)
                    {
                        run.StartNode(display, now);
                    }
                }
                break;
            case MessageTypes.ExecutionSuccess:
                Finish(promptId, "success", now);
                break;
            case MessageTypes.ExecutionError:
                Finish(promptId, "error", now);
                break;
            case MessageTypes.ExecutionInterrupted:
                Finish(promptId, "interrupted", now);
                break;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Finish(string promptId, string outcome, long now)
    {
        _prompts.WithLabels(outcome).Inc();
        if (_running.TryRemove(promptId, out RunningPrompt? run))
        {
            run.EndNode(now, _nodeTime);
            _executionTime.WithLabels(outcome).Observe(Stopwatch.GetElapsedTime(run.Started, now).TotalSeconds);
        }
    }

    private sealed class RunningPrompt(long started, JsonObject? graph)
    {
        private string? _nodeClass;
        private long _nodeStarted;

        public long Started { get; } = started;

        public void StartNode(string nodeId, long now)
        {
            _nodeClass = graph?[nodeId]?["class_type"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : "unknown";
            _nodeStarted = now;
        }

        public void EndNode(long now, Histogram histogram)
        {
            if (_nodeClass is not null)
            {
                histogram.WithLabels(_nodeClass).Observe(Stopwatch.GetElapsedTime(_nodeStarted, now).TotalSeconds);
                _nodeClass = null;
            }
        }
    }
}
