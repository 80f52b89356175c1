using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace ComfySharp.Server.Service;

/// <summary>
/// Results delivery: when a prompt finishes, a <c>prompt.finished</c> event is stored for its
/// <c>extra_data.webhook</c> and for <c>--webhook</c>, then POSTed, signed per Standard Webhooks
/// (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>) with the submitting key's secret
/// (else <c>--webhook-secret</c>; unsigned when neither exists), and retried with backoff. Deliveries
/// live in the database, so those not yet made when the server stops are made after it starts again.
/// </summary>
internal sealed class WebhookDispatcher : BackgroundService
{
    /// <summary>The <c>extra_data</c> key naming the API key that submitted a prompt (with authentication on).</summary>
    public const string KeyIdKey = "comfysharp_key";

    private readonly IServiceProvider _services;
    private readonly ComfyServerOptions _options;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Lazy<SqliteAccountStore> _store;

    public WebhookDispatcher(IServiceProvider services, ComfyServerOptions options, PromptEvents events, ILogger<WebhookDispatcher> logger)
    {
        _services = services;
        _options = options;
        _logger = logger;
        // Opened on first use: a server that never sees a webhook never touches the accounts tables.
        _store = new Lazy<SqliteAccountStore>(() => services.GetRequiredService<SqliteAccountStore>());
        events.Finished += OnFinished;
    }

    public override void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool hasBacklog = _options.Webhook is not null || File.Exists(_services.GetRequiredService<ServiceDatabase>().Path);
        TimeSpan wait = hasBacklog ? TimeSpan.Zero : Timeout.InfiniteTimeSpan;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            wait = Timeout.InfiniteTimeSpan;
            if (!_store.IsValueCreated && !hasBacklog)
            {
                continue;
            }
            var (due, next) = _store.Value.DueDeliveries(DateTimeOffset.UtcNow);
            foreach (WebhookDelivery delivery in due)
            {
                await AttemptAsync(delivery, stoppingToken).ConfigureAwait(false);
            }
            if (due.Count > 0)
            {
                wait = TimeSpan.Zero; // look again: more may be due
            }
            else if (next is DateTimeOffset at)
            {
                wait = TimeSpan.FromMilliseconds(Math.Clamp((at - DateTimeOffset.UtcNow).TotalMilliseconds, 1, int.MaxValue - 1));
            }
        }
    }

    private void OnFinished(string promptId)
    {
        try
        {
            JsonObject? entry = _services.GetRequiredService<PromptHistory>().Get(promptId);
            if (entry?["prompt"] is not JsonArray tuple || tuple.Count < 4 || tuple[3] is not JsonObject extra)
            {
                return;
            }
            var urls = new List<string>();
            if (extra["webhook"] is JsonValue w && w.GetValueKind() == JsonValueKind.String && IsHttpUrl(w.GetValue<string>()))
            {
                urls.Add(w.GetValue<string>());
            }
            if (_options.Webhook is string global && !urls.Contains(global, StringComparer.Ordinal))
            {
                urls.Add(global);
            }
            if (urls.Count == 0)
            {
                return;
            }
            string? secret = _options.WebhookSecret;
            if (extra[KeyIdKey] is JsonValue k && k.TryGetValue(out long keyId) && _store.Value.AllKeys().FirstOrDefault(x => x.Id == keyId) is { } key)
            {
                secret = key.WebhookSecret;
            }
            string payload = PythonJson.Serialize(Payload(promptId, entry, extra));
            foreach (string url in urls)
            {
                _store.Value.AddDelivery(new WebhookDelivery("msg_" + Guid.NewGuid().ToString("N"), url, secret, payload, 0));
            }
            _wake.Release();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let a webhook problem reach the queue worker.
            _logger.LogError(e, "Could not queue the webhook of prompt {PromptId}", promptId);
        }
    }

    private async Task AttemptAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        string? error = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
            };
            DateTimeOffset now = DateTimeOffset.UtcNow;
            request.Headers.Add("webhook-id", delivery.Id);
            request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            if (delivery.Secret is string secret)
            {
                var signer = new StandardWebhook(Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret));
                request.Headers.Add("webhook-signature", signer.Sign(delivery.Id, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()), delivery.Payload));
            }
            using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                _store.Value.RecordAttempt(delivery.Id, delivered: true, null, null);
                _services.GetRequiredService<ServiceMetrics>().WebhookAttempt("delivered");
                return;
            }
            error = $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException && !cancellationToken.IsCancellationRequested)
        {
            error = e.Message;
        }
        catch (OperationCanceledException)
        {
            return; // stopping: the delivery stays pending for the next start
        }
        int attempts = delivery.Attempts + 1;
        bool giveUp = attempts >= _options.WebhookMaxAttempts;
        IReadOnlyList<TimeSpan> backoff = _options.WebhookBackoff;
        DateTimeOffset? retryAt = giveUp ? null : DateTimeOffset.UtcNow + backoff[Math.Min(attempts - 1, backoff.Count - 1)];
        _store.Value.RecordAttempt(delivery.Id, delivered: false, retryAt, error);
        _services.GetRequiredService<ServiceMetrics>().WebhookAttempt(giveUp ? "gave_up" : "failed");
        _logger.LogWarning("Webhook {Id} to {Url} failed ({Error}); {Next}", delivery.Id, delivery.Url, error, giveUp ? "giving up" : $"retrying at {retryAt:O}");
    }

    private JsonObject Payload(string promptId, JsonObject entry, JsonObject extra)
    {
        JsonArray messages = entry["status"]?["messages"] as JsonArray ?? [];
        long? Timestamp(string type) => messages.Where(m => (string?)m?[0] == type).Select(m => m?[1]?["timestamp"] is JsonValue t && t.TryGetValue(out long v) ? v : (long?)null).FirstOrDefault();
        string status = messages.Any(m => (string?)m?[0] == "execution_interrupted") ? "interrupted" : (string?)entry["status"]?["status_str"] ?? "error";
        long? started = Timestamp("execution_start");
        long? ended = Timestamp("execution_success") ?? Timestamp("execution_error") ?? Timestamp("execution_interrupted");
        long? created = extra["create_time"] is JsonValue c && c.TryGetValue(out long cv) ? cv : null;
        string baseUrl = BaseUrl();
        var urls = new JsonArray();
        foreach (var (_, output) in entry["outputs"] as JsonObject ?? [])
        {
            foreach (var (_, files) in output as JsonObject ?? [])
            {
                foreach (JsonNode? file in files as JsonArray ?? [])
                {
                    if (file is JsonObject f && f["filename"] is JsonValue name && name.GetValueKind() == JsonValueKind.String)
                    {
                        urls.Add($"{baseUrl}/view?filename={Uri.EscapeDataString(name.GetValue<string>())}&subfolder={Uri.EscapeDataString((string?)f["subfolder"] ?? "")}&type={Uri.EscapeDataString((string?)f["type"] ?? "output")}");
                    }
                }
            }
        }
        return new JsonObject
        {
            ["type"] = "prompt.finished",
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["data"] = new JsonObject
            {
                ["prompt_id"] = promptId,
                ["status"] = status,
                ["outputs"] = entry["outputs"]?.DeepClone(),
                ["urls"] = urls,
                ["timings"] = new JsonObject
                {
                    ["created_ms"] = created,
                    ["started_ms"] = started,
                    ["finished_ms"] = ended,
                    ["queue_ms"] = created is long a && started is long b ? b - a : null,
                    ["execution_ms"] = started is long s && ended is long e ? e - s : null,
                },
                ["execution_status"] = entry["status"]?.DeepClone(),
            },
        };
    }

    private string BaseUrl()
    {
        string? address = _services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return (address ?? "").Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>Where the server's SQLite file is (also with <c>--in-memory</c>, for users, keys and webhooks).</summary>
/// <param name="Path">The file.</param>
internal sealed record ServiceDatabase(string Path);
