using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

// ComfyClient: introspection, settings, users and user data.
public sealed partial class ComfyClient
{
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
}
