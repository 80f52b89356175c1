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

    /// <summary>Called for <c>/free {"unload_models": true}</c>.</summary>
    public Action? UnloadModels { get; set; }
}
