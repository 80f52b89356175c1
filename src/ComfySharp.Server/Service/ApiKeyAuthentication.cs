using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions.Files;
using ComfySharp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Service;

/// <summary>
/// Resolves bearer keys to users (with a short cache: a key revoked by another process stops working
/// within <see cref="CacheFor"/>; one revoked through <see cref="Revoke"/> at once) and keeps the
/// per-key rate windows.
/// </summary>
internal sealed class ApiKeyAuthenticator(SqliteAccountStore store)
{
    /// <summary>How long a looked-up key is trusted without asking the database again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (ServiceUser? User, long Expires)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Queue<long>> _windows = new();

    public SqliteAccountStore Store => store;

    public ServiceUser? Authenticate(string key)
    {
        long now = Environment.TickCount64;
        if (_cache.TryGetValue(key, out var hit) && hit.Expires > now)
        {
            return hit.User;
        }
        ApiKeyRecord? record = store.FindKey(key);
        ServiceUser? user = record is null ? null
            : new ServiceUser(record.User.Id, record.User.Name, record.User.IsAdmin, record.Id, record.MaxPending, record.PerMinute, record.WebhookSecret);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }
        _cache[key] = (user, now + (long)CacheFor.TotalMilliseconds);
        return user;
    }

    /// <summary>Revokes a key (id or prefix) and forgets every cached lookup.</summary>
    public bool Revoke(string idOrPrefix)
    {
        bool revoked = store.RevokeKey(idOrPrefix);
        _cache.Clear();
        return revoked;
    }

    /// <summary>Takes one slot of the key's per-minute quota; null when allowed, else the seconds until a slot frees.</summary>
    public int? TakeRateSlot(ServiceUser user)
    {
        if (user.PerMinute is not int limit)
        {
            return null;
        }
        long now = Environment.TickCount64;
        Queue<long> window = _windows.GetOrAdd(user.KeyId, _ => new Queue<long>());
        lock (window)
        {
            while (window.Count > 0 && now - window.Peek() >= 60_000)
            {
                window.Dequeue();
            }
            if (window.Count >= limit)
            {
                return (int)Math.Max(1, Math.Ceiling((60_000 - (now - window.Peek())) / 1000.0));
            }
            window.Enqueue(now);
            return null;
        }
    }
}

/// <summary>The <c>--auth</c> middleware: every request but the probes carries a live API key.</summary>
internal static class ApiKeyAuthentication
{
    public static void UseApiKeyAuthentication(this WebApplication app)
    {
        ApiKeyAuthenticator authenticator = app.Services.GetRequiredService<ApiKeyAuthenticator>();
        app.Use(async (context, next) =>
        {
            if (OperationsEndpoints.AnonymousPaths.Contains(context.Request.Path.Value ?? "", StringComparer.Ordinal) || IsWebUiPage(context.Request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            string? key = BearerKey(context.Request);
            ServiceUser? user = key is null ? null : authenticator.Authenticate(key);
            if (user is null)
            {
                await RejectAsync(context, StatusCodes.Status401Unauthorized, key is null ? "An API key is required (Authorization: Bearer KEY, or ?token=KEY)." : "Invalid or revoked API key.").ConfigureAwait(false);
                return;
            }
            ServiceUser.Set(context, user);
            // A user's requests see their own input/ and temp/ folders and only their part of output/ (admins see all).
            UserFileScope.Enter(user.IsAdmin ? null : user.Folder);
            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary><c>Authorization: Bearer KEY</c>, else <c>?token=KEY</c> (browser sockets and SSE cannot set headers).</summary>
    internal static string? BearerKey(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            string key = header["Bearer ".Length..].Trim();
            return key.Length > 0 ? key : null;
        }
        string token = request.Query["token"].ToString();
        return token.Length > 0 ? token : null;
    }

    // The built-in editor's page and bundle hold no user data; the page must load without a key so that it can
    // ask for one (or read ?token=) and then send it on every API request and on the socket.
    private static bool IsWebUiPage(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }
        string path = request.Path.Value ?? "";
        string folder = "/" + Frontend.WebUiAssets.Folder;
        return path == "/" || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);
    }

    /// <summary>
    /// With a user: applies the quotas (429 with <c>Retry-After</c>), tags the prompt with its owner,
    /// scopes its <c>client_id</c> to the user (so events reach only their sockets) and moves every
    /// <c>filename_prefix</c> under the user's output folder. Null when the prompt may proceed.
    /// </summary>
    public static IResult? PreparePrompt(HttpContext context, JsonObject body, JsonObject prompt)
    {
        if (ServiceUser.Of(context) is not { } user)
        {
            return null;
        }
        var services = context.RequestServices;
        var queue = services.GetRequiredService<ComfySharp.Engine.Queue.PromptQueue>();
        if (user.MaxPending is int max)
        {
            var (running, pending) = queue.Snapshot();
            int mine = pending.Count(p => PromptOwnership.OwnerOf(p) == user.Name) + (running is not null && PromptOwnership.OwnerOf(running) == user.Name ? 1 : 0);
            if (mine >= max)
            {
                return TooMany(context, 5, $"Quota: at most {max} prompts pending per key.");
            }
        }
        if (services.GetRequiredService<ApiKeyAuthenticator>().TakeRateSlot(user) is int wait)
        {
            return TooMany(context, wait, $"Quota: at most {user.PerMinute} prompts per minute per key.");
        }
        if (body["extra_data"] is not JsonObject extra)
        {
            extra = [];
            body["extra_data"] = extra;
        }
        extra[PromptOwnership.OwnerKey] = user.Name;
        // The folder scope the worker runs the prompt in (input/, temp/); admins' prompts see the whole folders.
        if (user.IsAdmin)
        {
            extra.Remove(PromptOwnership.FilesKey);
        }
        else
        {
            extra[PromptOwnership.FilesKey] = user.Folder;
        }
        extra[WebhookDispatcher.KeyIdKey] = user.KeyId;
        string clientId = body["client_id"] is JsonValue c && c.GetValueKind() == System.Text.Json.JsonValueKind.String ? c.GetValue<string>()
            : extra["client_id"] is JsonValue e && e.GetValueKind() == System.Text.Json.JsonValueKind.String ? e.GetValue<string>() : "";
        body["client_id"] = ScopedClientId(user, clientId.Length > 0 ? clientId : "prompts");
        extra.Remove("client_id");
        foreach (var (_, node) in prompt)
        {
            if (node?["inputs"] is JsonObject inputs && inputs["filename_prefix"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
            {
                string[] parts = v.GetValue<string>().Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s is not ("." or "..")).ToArray();
                inputs["filename_prefix"] = user.Folder + "/" + (parts.Length > 0 ? string.Join('/', parts) : "ComfyUI");
            }
        }
        return null;
    }

    /// <summary>The hub id of a user's socket or prompt: <c>u_NAME:ID</c>, so a user can never receive another user's events by naming their client id.</summary>
    public static string ScopedClientId(ServiceUser user, string clientId) =>
        clientId.StartsWith(user.Folder + ":", StringComparison.Ordinal) ? clientId : user.Folder + ":" + clientId;

    private static JsonHttpResult<JsonObject> TooMany(HttpContext context, int retryAfterSeconds, string message)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(new JsonObject { ["error"] = new JsonObject { ["type"] = "quota_exceeded", ["message"] = message, ["details"] = "", ["extra_info"] = new JsonObject() }, ["node_errors"] = new JsonObject() },
            statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static async Task RejectAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        await context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = message }).ConfigureAwait(false);
    }
}
