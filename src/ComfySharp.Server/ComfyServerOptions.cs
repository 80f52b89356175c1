using ComfySharp.Engine;

namespace ComfySharp.Server;

/// <summary>Everything the HTTP/WebSocket surface needs to know from the command line (FILES.md §5).</summary>
public sealed class ComfyServerOptions
{
    /// <summary>The default upload limit: 100 MB.</summary>
    public const long DefaultMaxUploadSize = 100L * 1024 * 1024;

    /// <summary>Request body limit in bytes (<c>--max-upload-size</c>).</summary>
    public long MaxUploadSize { get; set; } = DefaultMaxUploadSize;

    /// <summary>True when <c>--max-upload-size</c> was given: the reference then advertises a float.</summary>
    public bool MaxUploadSizeExplicit { get; set; }

    /// <summary><c>--enable-cors-header</c> origin; null keeps the same-origin guard.</summary>
    public string? CorsOrigin { get; set; }

    /// <summary><c>--preview-method</c>: none, auto, latent2rgb, taesd.</summary>
    public string PreviewMethod { get; set; } = "none";

    /// <summary><c>--preview-size</c>.</summary>
    public int PreviewSize { get; set; } = 512;

    /// <summary><c>--disable-metadata</c>.</summary>
    public bool DisableMetadata { get; set; }

    /// <summary><c>--front-end-root</c>; null serves the built-in page.</summary>
    public string? FrontEndRoot { get; set; }

    /// <summary><c>--database</c>: the SQLite file; null = <c>&lt;user dir&gt;/comfysharp.db</c>; <c>":memory:"</c>-like empty string keeps everything in memory.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Keep queue and history in memory only (like the reference).</summary>
    public bool InMemoryStore { get; set; }

    /// <summary>Output cache policy.</summary>
    public CacheOptions Cache { get; set; } = new();

    /// <summary>The command line, shown by <c>/system_stats</c>.</summary>
    public IReadOnlyList<string> Argv { get; set; } = ["comfysharp"];

    /// <summary>
    /// <c>--max-execution-seconds</c>: the watchdog interrupts a prompt running longer than this and
    /// records it; null (the default) sets no limit.
    /// </summary>
    public double? MaxExecutionSeconds { get; set; }

    /// <summary>The host's compute report (precision per model kind, loaded models), shown as <c>comfysharp</c> in <c>/system_stats</c>.</summary>
    public Func<System.Text.Json.Nodes.JsonObject>? ComputeReport { get; set; }

    /// <summary>Called for <c>/free {"unload_models": true}</c>.</summary>
    public Action? UnloadModels { get; set; }

    /// <summary>Extra <c>/api/ready</c> checks by name (the host adds <c>device</c>); each answers true when ready.</summary>
    public IDictionary<string, Func<bool>> ReadinessChecks { get; } = new Dictionary<string, Func<bool>>(StringComparer.Ordinal);

    /// <summary><c>--auth</c>: every route but <c>/api/health</c> and <c>/api/ready</c> requires an API key.</summary>
    public bool RequireAuth { get; set; }

    /// <summary><c>--webhook URL</c>: every finished prompt is posted there (besides its own <c>extra_data.webhook</c>).</summary>
    public string? Webhook { get; set; }

    /// <summary><c>--webhook-secret whsec_…</c>: signs <see cref="Webhook"/> deliveries and those of prompts without a key.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Webhook retry delays (the n-th retry waits the n-th value; the last repeats up to <see cref="WebhookMaxAttempts"/>).</summary>
    public IReadOnlyList<TimeSpan> WebhookBackoff { get; set; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10)];

    /// <summary>Webhook attempts before a delivery is given up.</summary>
    public int WebhookMaxAttempts { get; set; } = 8;

    /// <summary><c>--role</c>: api and worker need a PostgreSQL <c>--database</c> (docs/scale-out.md).</summary>
    public ServerRole Role { get; set; } = ServerRole.All;

    /// <summary><c>--retry once|never</c>: attempts per prompt when its worker is lost (2 or 1).</summary>
    public int MaxAttempts { get; set; } = 2;

    /// <summary><c>--lease-seconds</c>: a worker that has not renewed its claim for this long is taken as lost.</summary>
    public double LeaseSeconds { get; set; } = 10;

    /// <summary><c>--worker-id</c>: this worker's name in the shared queue; null = host name and process id.</summary>
    public string? WorkerId { get; set; }

    /// <summary><c>--worker-tags</c>: this worker's capability tags; it takes only prompts whose <c>extra_data.worker_tags</c> it all has.</summary>
    public IReadOnlyList<string> WorkerTags { get; set; } = [];

    /// <summary>The model files this process has loaded now (the host reads its model manager); workers publish them for model affinity.</summary>
    public Func<IReadOnlyList<string>>? LoadedModelFiles { get; set; }
}
