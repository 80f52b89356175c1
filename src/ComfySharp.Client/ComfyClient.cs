using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>Options of <see cref="ComfyClient"/>.</summary>
public sealed record ComfyClientOptions
{
    /// <summary>Bearer token sent as <c>Authorization</c> on HTTP and the WebSocket upgrade.</summary>
    public string? Token { get; init; }

    /// <summary>The WebSocket client id; a fresh 32-hex id when null.</summary>
    public string? ClientId { get; init; }

    /// <summary>An HttpClient to use (its BaseAddress is ignored); a new one when null.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>First reconnect delay; doubled per failed attempt.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect attempts before giving up (per outage).</summary>
    public int MaxReconnectAttempts { get; init; } = 12;
}

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
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "prompt", Json(body), cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.BadRequest && TryParseObject(text) is { } rejected)
        {
            throw new ComfyPromptException(rejected, text);
        }
        EnsureSuccess(response, text);
        JsonObject reply = TryParseObject(text) ?? throw new ComfyClientException("POST /prompt did not return a JSON object.", response.StatusCode, text);
        return new QueuedPromptInfo(reply["prompt_id"]?.GetValue<string>() ?? "", reply["number"]?.GetValue<double>() ?? 0, reply["node_errors"] as JsonObject ?? []);
    }

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

    // ---------------------------------------------------------------- files

    /// <summary><c>GET /view</c>: the bytes of an output/input/temp file.</summary>
    /// <param name="file">The file.</param>
    /// <param name="preview">Optional <c>format[;quality]</c> re-encode (e.g. <c>webp;80</c>).</param>
    /// <param name="channel">Optional channel (<c>rgb</c>, <c>a</c>).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<byte[]> ViewAsync(ImageRef file, string? preview = null, string? channel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = $"view?filename={Uri.EscapeDataString(file.Filename)}&subfolder={Uri.EscapeDataString(file.Subfolder)}&type={Uri.EscapeDataString(file.Type)}";
        if (preview is not null)
        {
            path += "&preview=" + Uri.EscapeDataString(preview);
        }
        if (channel is not null)
        {
            path += "&channel=" + Uri.EscapeDataString(channel);
        }
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            EnsureSuccess(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a file into <paramref name="directory"/> (keeping its subfolder) and returns the local path.</summary>
    public async Task<string> DownloadAsync(ImageRef file, string directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(directory);
        byte[] bytes = await ViewAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
        string root = Path.GetFullPath(directory);
        // The server names the file; keep only safe components so a hostile reply cannot write outside the directory.
        string name = Path.GetFileName(file.Filename);
        string sub = string.Join(Path.DirectorySeparatorChar, file.Subfolder.Split('/', '\\').Where(s => s.Length > 0 && s != "." && s != ".."));
        string target = Path.GetFullPath(Path.Combine(root, sub, name));
        if (name.Length == 0 || !target.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ComfyClientException($"Refusing to save '{file.Filename}' outside '{root}'.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target, bytes, cancellationToken).ConfigureAwait(false);
        return target;
    }

    /// <summary><c>GET /view_metadata/{folder}?filename=</c>: a safetensors header's <c>__metadata__</c>; null when absent (404).</summary>
    public async Task<JsonObject?> GetViewMetadataAsync(string folder, string filename, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(filename);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"view_metadata/{Uri.EscapeDataString(folder)}?filename={Uri.EscapeDataString(filename)}", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return TryParseObject(text);
    }

    /// <summary><c>POST /upload/image</c>. The reply names the stored file (may be renamed <c>name (1).png</c>).</summary>
    public Task<ImageRef> UploadImageAsync(Stream content, string filename, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default) =>
        UploadAsync("upload/image", content, filename, subfolder, type, overwrite, null, cancellationToken);

    /// <summary>Uploads a local file with <c>POST /upload/image</c>.</summary>
    public async Task<ImageRef> UploadImageFileAsync(string path, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default)
    {
        FileStream stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            return await UploadImageAsync(stream, Path.GetFileName(path), subfolder, type, overwrite, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /upload/mask</c>: the alpha of <paramref name="content"/> applied to <paramref name="original"/>.</summary>
    public Task<ImageRef> UploadMaskAsync(Stream content, string filename, ImageRef original, string? subfolder = null, string type = "input", bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        var originalRef = new JsonObject { ["filename"] = original.Filename, ["type"] = original.Type, ["subfolder"] = original.Subfolder };
        return UploadAsync("upload/mask", content, filename, subfolder, type, overwrite, originalRef.ToJsonString(), cancellationToken);
    }

    private async Task<ImageRef> UploadAsync(string route, Stream content, string filename, string? subfolder, string type, bool overwrite, string? originalRef, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(filename);
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(filename.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "application/octet-stream");
        form.Add(file, "image", filename);
        form.Add(new StringContent(type), "type");
        form.Add(new StringContent(subfolder ?? ""), "subfolder");
        if (overwrite)
        {
            form.Add(new StringContent("true"), "overwrite");
        }
        if (originalRef is not null)
        {
            form.Add(new StringContent(originalRef), "original_ref");
        }
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, route, form, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return ImageRef.FromJson(TryParseObject(text) ?? throw new ComfyClientException($"POST /{route} did not return a JSON object.", response.StatusCode, text));
    }

    // ---------------------------------------------------------------- introspection

    /// <summary><c>GET /object_info</c>: every node definition.</summary>
    public Task<JsonObject> GetObjectInfoAsync(CancellationToken cancellationToken = default) => GetObjectAsync("object_info", cancellationToken);

    /// <summary><c>GET /object_info/{class}</c>: one definition, or null when the class is unknown.</summary>
    public async Task<JsonObject?> GetObjectInfoAsync(string nodeClass, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodeClass);
        JsonObject reply = await GetObjectAsync("object_info/" + Uri.EscapeDataString(nodeClass), cancellationToken).ConfigureAwait(false);
        return reply[nodeClass] as JsonObject;
    }

    /// <summary><c>GET /models</c>: the model folder names.</summary>
    public Task<IReadOnlyList<string>> GetModelFoldersAsync(CancellationToken cancellationToken = default) => GetStringsAsync("models", cancellationToken);

    /// <summary><c>GET /models/{folder}</c>: the files of a folder (empty when the folder is unknown).</summary>
    public Task<IReadOnlyList<string>> GetModelsAsync(string folder, CancellationToken cancellationToken = default) =>
        GetStringsAsync("models/" + Uri.EscapeDataString(folder ?? throw new ArgumentNullException(nameof(folder))), cancellationToken, notFoundIsEmpty: true);

    /// <summary><c>GET /embeddings</c>.</summary>
    public Task<IReadOnlyList<string>> GetEmbeddingsAsync(CancellationToken cancellationToken = default) => GetStringsAsync("embeddings", cancellationToken);

    /// <summary><c>GET /extensions</c>.</summary>
    public Task<IReadOnlyList<string>> GetExtensionsAsync(CancellationToken cancellationToken = default) => GetStringsAsync("extensions", cancellationToken);

    /// <summary><c>GET /system_stats</c>.</summary>
    public Task<JsonObject> GetSystemStatsAsync(CancellationToken cancellationToken = default) => GetObjectAsync("system_stats", cancellationToken);

    /// <summary><c>GET /features</c>.</summary>
    public Task<JsonObject> GetFeaturesAsync(CancellationToken cancellationToken = default) => GetObjectAsync("features", cancellationToken);

    // ---------------------------------------------------------------- settings, users, user data

    /// <summary><c>GET /settings</c>.</summary>
    public Task<JsonObject> GetSettingsAsync(CancellationToken cancellationToken = default) => GetObjectAsync("settings", cancellationToken);

    /// <summary><c>GET /settings/{id}</c>: the value or null.</summary>
    public async Task<JsonNode?> GetSettingAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "settings/" + Uri.EscapeDataString(id), null, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return JsonNode.Parse(text);
    }

    /// <summary><c>POST /settings</c>: merges the keys into the stored settings.</summary>
    public Task SetSettingsAsync(JsonObject settings, CancellationToken cancellationToken = default) => PostJsonNoReplyAsync("settings", settings, cancellationToken);

    /// <summary><c>POST /settings/{id}</c>.</summary>
    public Task SetSettingAsync(string id, JsonNode? value, CancellationToken cancellationToken = default) =>
        PostJsonNoReplyAsync("settings/" + Uri.EscapeDataString(id ?? throw new ArgumentNullException(nameof(id))), value, cancellationToken);

    /// <summary><c>GET /users</c>.</summary>
    public Task<JsonObject> GetUsersAsync(CancellationToken cancellationToken = default) => GetObjectAsync("users", cancellationToken);

    /// <summary><c>POST /users</c>: creates a user (multi-user servers) and returns its id.</summary>
    public async Task<string> CreateUserAsync(string username, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "users", Json(new JsonObject { ["username"] = username }), cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return JsonNode.Parse(text)?.GetValue<string>() ?? "";
    }

    /// <summary><c>GET /userdata?dir=&amp;recurse=</c>: relative paths under a user directory (empty when it does not exist).</summary>
    public async Task<IReadOnlyList<string>> ListUserDataAsync(string directory, bool recurse = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return await GetStringsAsync($"userdata?dir={Uri.EscapeDataString(directory)}&recurse={(recurse ? "true" : "false")}", cancellationToken, notFoundIsEmpty: true).ConfigureAwait(false);
    }

    /// <summary><c>GET /userdata/{file}</c>; null when missing.</summary>
    public async Task<byte[]?> GetUserDataAsync(string file, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, "userdata/" + Uri.EscapeDataString(file ?? throw new ArgumentNullException(nameof(file))), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, Encoding.UTF8.GetString(bytes));
        return bytes;
    }

    /// <summary><c>POST /userdata/{file}</c>: stores bytes; returns the stored relative path.</summary>
    public async Task<string> PutUserDataAsync(string file, byte[] content, bool overwrite = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(content);
        using var body = new ByteArrayContent(content);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, $"userdata/{Uri.EscapeDataString(file)}?overwrite={(overwrite ? "true" : "false")}", body, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return JsonNode.Parse(text) is JsonValue v && v.TryGetValue(out string? path) ? path : file;
    }

    /// <summary><c>DELETE /userdata/{file}</c>; false when it did not exist.</summary>
    public async Task<bool> DeleteUserDataAsync(string file, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Delete, "userdata/" + Uri.EscapeDataString(file ?? throw new ArgumentNullException(nameof(file))), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        EnsureSuccess(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return true;
    }

    // ---------------------------------------------------------------- events

    /// <summary>
    /// Connects to <c>/ws?clientId=</c> and yields every message until cancelled or the socket closes.
    /// With <paramref name="sendFeatureFlags"/> the client first announces <c>supports_preview_metadata</c>
    /// (previews then arrive as event 4 with metadata).
    /// </summary>
    public async IAsyncEnumerable<ComfyEvent> StreamEventsAsync(bool sendFeatureFlags = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using ClientWebSocket socket = await ConnectSocketAsync(sendFeatureFlags, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ComfyEvent? message = await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                yield break;
            }
            yield return message;
        }
    }

    /// <summary>Opens the WebSocket (with the bearer token, and the feature flags first when asked).</summary>
    public async Task<ClientWebSocket> ConnectSocketAsync(bool sendFeatureFlags = false, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        try
        {
            if (Options.Token is { Length: > 0 } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }
            var builder = new UriBuilder(new Uri(BaseAddress, "ws")) { Query = "clientId=" + Uri.EscapeDataString(ClientId) };
            builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
            await socket.ConnectAsync(builder.Uri, cancellationToken).ConfigureAwait(false);
            if (sendFeatureFlags)
            {
                byte[] flags = Encoding.UTF8.GetBytes("{\"type\": \"feature_flags\", \"data\": {\"supports_preview_metadata\": true}}");
                await socket.SendAsync(flags, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Receives one message; null when the socket closed.</summary>
    public static async Task<ComfyEvent?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return result.MessageType == WebSocketMessageType.Binary
                    ? ComfyEvent.ParseBinary(buffer.ToArray())
                    : ComfyEvent.ParseText(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static StringContent Json(JsonNode? body) => new(body?.ToJsonString() ?? "null", Encoding.UTF8, "application/json");

    private static JsonObject? TryParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress, relative)) { Content = content };
        if (Options.Token is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static void EnsureSuccess(HttpResponseMessage response, string body)
    {
        if (!response.IsSuccessStatusCode)
        {
            string path = response.RequestMessage?.RequestUri?.AbsolutePath ?? "";
            string detail = body.Length > 200 ? body[..200] : body;
            throw new ComfyClientException($"{response.RequestMessage?.Method} {path} failed with {(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail : "")}",
                response.StatusCode, body);
        }
    }

    private async Task<JsonObject> GetObjectAsync(string relative, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, relative, null, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return TryParseObject(text) ?? throw new ComfyClientException($"GET /{relative} did not return a JSON object.", response.StatusCode, text);
    }

    private async Task<IReadOnlyList<string>> GetStringsAsync(string relative, CancellationToken cancellationToken, bool notFoundIsEmpty = false)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, relative, null, cancellationToken).ConfigureAwait(false);
        if (notFoundIsEmpty && response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        return JsonNode.Parse(text) is JsonArray array ? array.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : n?.ToJsonString() ?? "").ToList() : [];
    }

    private async Task PostJsonNoReplyAsync(string relative, JsonNode? body, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, relative, Json(body), cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }
}
