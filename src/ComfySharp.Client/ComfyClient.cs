using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>
/// A typed client for any ComfyUI-compatible server (ComfySharp or the reference): every HTTP route,
/// the <c>/ws</c> event stream, and <see cref="RunAsync"/> to queue a prompt and wait for its outputs.
/// Only standard ComfyUI wire traffic is used.
/// </summary>
public sealed partial class ComfyClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client for <paramref name="baseAddress"/> (e.g. <c>http://127.0.0.1:8188/</c>).</summary>
    public ComfyClient(Uri baseAddress, ComfyClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        Options = options ?? new ComfyClientOptions();
        string text = baseAddress.ToString();
        BaseAddress = new Uri(text.EndsWith('/') ? text : text + "/");
        ClientId = Options.ClientId ?? Guid.NewGuid().ToString("N");
        _ownsHttp = Options.HttpClient is null;
        _http = Options.HttpClient ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
    }

    /// <summary>Creates a client for a URL string.</summary>
    public ComfyClient(string baseAddress, ComfyClientOptions? options = null) : this(new Uri(baseAddress), options) { }

    /// <summary>The server's root address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The id this client uses as <c>clientId</c> on <c>/ws</c> and <c>client_id</c> in prompts.</summary>
    public string ClientId { get; }

    /// <summary>The options.</summary>
    public ComfyClientOptions Options { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---------------------------------------------------------------- prompts and queue

    /// <summary><c>POST /prompt</c>. Throws <see cref="ComfyPromptException"/> with the node errors when rejected.</summary>
    /// <param name="prompt">The API-format graph.</param>
    /// <param name="extraData">Extra data (e.g. <c>extra_pnginfo</c>); may be null.</param>
    /// <param name="promptId">An explicit prompt id, or null for the server's.</param>
    /// <param name="front">Queue ahead of normally queued prompts.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<QueuedPromptInfo> QueuePromptAsync(JsonObject prompt, JsonObject? extraData = null, string? promptId = null, bool front = false, CancellationToken cancellationToken = default)
    {
        (_, JsonObject reply) = await PostPromptAsync("prompt", PromptBody(prompt, extraData, promptId, front), cancellationToken).ConfigureAwait(false);
        return QueuedFromJson(reply);
    }

    private JsonObject PromptBody(JsonObject prompt, JsonObject? extraData, string? promptId, bool front)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var body = new JsonObject { ["prompt"] = prompt.DeepClone(), ["client_id"] = ClientId };
        if (extraData is not null)
        {
            body["extra_data"] = extraData.DeepClone();
        }
        if (promptId is not null)
        {
            body["prompt_id"] = promptId;
        }
        if (front)
        {
            body["front"] = true;
        }
        return body;
    }

    private async Task<(HttpStatusCode Status, JsonObject Reply)> PostPromptAsync(string relative, JsonObject body, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, relative, Json(body), cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.BadRequest && TryParseObject(text) is { } rejected)
        {
            throw new ComfyPromptException(rejected, text);
        }
        EnsureSuccess(response, text);
        JsonObject reply = TryParseObject(text) ?? throw new ComfyClientException("POST /prompt did not return a JSON object.", response.StatusCode, text);
        return (response.StatusCode, reply);
    }

    private static QueuedPromptInfo QueuedFromJson(JsonObject reply) =>
        new(reply["prompt_id"]?.GetValue<string>() ?? "", reply["number"]?.GetValue<double>() ?? 0, reply["node_errors"] as JsonObject ?? []);

    /// <summary><c>GET /prompt</c>: pending + running.</summary>
    public async Task<int> GetQueueRemainingAsync(CancellationToken cancellationToken = default) =>
        (await GetObjectAsync("prompt", cancellationToken).ConfigureAwait(false))["exec_info"]?["queue_remaining"]?.GetValue<int>() ?? 0;

    /// <summary><c>GET /queue</c>.</summary>
    public async Task<QueueState> GetQueueAsync(CancellationToken cancellationToken = default)
    {
        JsonObject reply = await GetObjectAsync("queue", cancellationToken).ConfigureAwait(false);
        static List<QueueItem> Items(JsonNode? node) => (node as JsonArray ?? []).OfType<JsonArray>().Select(QueueItem.FromJson).ToList();
        return new QueueState(Items(reply["queue_running"]),
            [.. Items(reply["queue_pending"]).OrderBy(i => i.Number).ThenBy(i => i.PromptId, StringComparer.Ordinal)]);
    }

    /// <summary><c>POST /queue {"delete": [...]}</c>: removes pending prompts.</summary>
    public Task DeleteFromQueueAsync(IEnumerable<string> promptIds, CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("queue", new JsonObject { ["delete"] = new JsonArray([.. promptIds.Select(id => JsonValue.Create(id))]) }, cancellationToken);

    /// <summary><c>POST /queue {"clear": true}</c>: drops every pending prompt.</summary>
    public Task ClearQueueAsync(CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("queue", new JsonObject { ["clear"] = true }, cancellationToken);

    // ---------------------------------------------------------------- history and jobs

    /// <summary><c>GET /history?max_items=&amp;offset=</c>, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> GetHistoryAsync(int? maxItems = null, int? offset = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (maxItems is { } m)
        {
            query.Add($"max_items={m}");
        }
        if (offset is { } o)
        {
            query.Add($"offset={o}");
        }
        JsonObject reply = await GetObjectAsync("history" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken).ConfigureAwait(false);
        return reply.Where(p => p.Value is JsonObject).Select(p => HistoryEntry.FromJson(p.Key, (JsonObject)p.Value!)).ToList();
    }

    /// <summary><c>GET /history/{prompt_id}</c>; null when unknown.</summary>
    public async Task<HistoryEntry?> GetHistoryAsync(string promptId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptId);
        JsonObject reply = await GetObjectAsync("history/" + Uri.EscapeDataString(promptId), cancellationToken).ConfigureAwait(false);
        return reply[promptId] is JsonObject entry ? HistoryEntry.FromJson(promptId, entry) : null;
    }

    /// <summary><c>POST /history {"delete": [...]}</c>.</summary>
    public Task DeleteHistoryAsync(IEnumerable<string> promptIds, CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("history", new JsonObject { ["delete"] = new JsonArray([.. promptIds.Select(id => JsonValue.Create(id))]) }, cancellationToken);

    /// <summary><c>POST /history {"clear": true}</c>.</summary>
    public Task ClearHistoryAsync(CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("history", new JsonObject { ["clear"] = true }, cancellationToken);

    /// <summary><c>GET /api/jobs</c> with filters.</summary>
    public async Task<JobsPage> GetJobsAsync(JobsQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new JobsQuery();
        var parts = new List<string>();
        if (query.Status is { Count: > 0 } statuses)
        {
            parts.Add("status=" + Uri.EscapeDataString(string.Join(',', statuses)));
        }
        Add("workflow_id", query.WorkflowId);
        Add("sort_by", query.SortBy);
        Add("sort_order", query.SortOrder);
        Add("limit", query.Limit?.ToString(CultureInfo.InvariantCulture));
        Add("offset", query.Offset?.ToString(CultureInfo.InvariantCulture));
        JsonObject reply = await GetObjectAsync("api/jobs" + (parts.Count > 0 ? "?" + string.Join('&', parts) : ""), cancellationToken).ConfigureAwait(false);
        var jobs = (reply["jobs"] as JsonArray ?? []).OfType<JsonObject>().Select(ComfyJob.FromJson).ToList();
        JsonObject pagination = reply["pagination"] as JsonObject ?? [];
        return new JobsPage(jobs, pagination["total"]?.GetValue<int>() ?? jobs.Count, pagination["has_more"]?.GetValue<bool>() ?? false);

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }
    }

    /// <summary><c>GET /api/jobs/{id}</c>; null when unknown (404).</summary>
    public async Task<ComfyJob?> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "api/jobs/" + Uri.EscapeDataString(jobId), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return TryParseObject(text) is { } job ? ComfyJob.FromJson(job) : null;
    }

    // ---------------------------------------------------------------- control

    /// <summary><c>POST /interrupt</c>: global, or only if <paramref name="promptId"/> is the running prompt.</summary>
    public Task InterruptAsync(string? promptId = null, CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("interrupt", promptId is null ? [] : new JsonObject { ["prompt_id"] = promptId }, cancellationToken);

    /// <summary><c>POST /free</c>.</summary>
    public Task FreeAsync(bool unloadModels = true, bool freeMemory = false, CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("free", new JsonObject { ["unload_models"] = unloadModels, ["free_memory"] = freeMemory }, cancellationToken);
}
