using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>The answer of <see cref="ComfyClient.QueuePromptAndWaitAsync"/> (<c>POST /prompt?wait=</c>).</summary>
/// <param name="PromptId">The prompt id.</param>
/// <param name="Number">Its queue number.</param>
/// <param name="Finished">True when the prompt ended within the wait (200); false when it is still pending or running (202).</param>
/// <param name="History">The history entry when it ended (null while still running).</param>
public sealed record PromptWaitResult(string PromptId, double Number, bool Finished, HistoryEntry? History)
{
    /// <summary>True when it ended and succeeded.</summary>
    public bool Succeeded => History?.Completed ?? false;
}

/// <summary>One prompt reached by <see cref="ComfyClient.CancelPromptAsync"/>.</summary>
/// <param name="PromptId">The prompt.</param>
/// <param name="State"><c>running</c> (interrupted) or <c>pending</c> (removed from the queue).</param>
public sealed record CancelledPrompt(string PromptId, string State);

/// <summary>The answer of <see cref="ComfyClient.CancelPromptAsync"/> (<c>POST /api/queue/{prompt_id}/cancel</c>).</summary>
/// <param name="PromptId">The prompt asked for.</param>
/// <param name="Cancelled">What was cancelled; empty when the prompt was neither running nor pending (404).</param>
public sealed record CancelPromptResult(string PromptId, IReadOnlyList<CancelledPrompt> Cancelled)
{
    /// <summary>True when something was cancelled.</summary>
    public bool Found => Cancelled.Count > 0;
}

// ComfyClient: the ComfySharp service extensions (server-side wait, cancel by id, webhooks, Server-Sent Events).
public sealed partial class ComfyClient
{
    /// <summary>
    /// <c>POST /prompt?wait=SECONDS</c>: queues the prompt and lets the server hold the answer until it ends or
    /// <paramref name="wait"/> runs out (ComfySharp servers; the reference ignores <c>wait</c> and the result is then
    /// "still running"). Throws <see cref="ComfyPromptException"/> when rejected.
    /// </summary>
    /// <param name="prompt">The API-format graph.</param>
    /// <param name="wait">How long the server should wait (whole seconds or fractions; must be positive).</param>
    /// <param name="extraData">Extra data; may be null.</param>
    /// <param name="promptId">An explicit prompt id, or null for the server's.</param>
    /// <param name="webhook">A URL the server POSTs the result to when the prompt ends, or null.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<PromptWaitResult> QueuePromptAndWaitAsync(JsonObject prompt, TimeSpan wait, JsonObject? extraData = null, string? promptId = null,
        Uri? webhook = null, CancellationToken cancellationToken = default)
    {
        if (wait <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "The wait must be positive.");
        }
        string seconds = wait.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        JsonObject body = PromptBody(prompt, WithWebhook(extraData, webhook), promptId, front: false);
        (HttpStatusCode status, JsonObject reply) = await PostPromptAsync("prompt?wait=" + seconds, body, cancellationToken).ConfigureAwait(false);
        QueuedPromptInfo queued = QueuedFromJson(reply);
        bool finished = status == HttpStatusCode.OK && reply.ContainsKey("history");
        HistoryEntry? history = finished && reply["history"] is JsonObject entry ? HistoryEntry.FromJson(queued.PromptId, entry) : null;
        return new PromptWaitResult(queued.PromptId, queued.Number, finished, history);
    }

    /// <summary>
    /// <c>POST /api/queue/{prompt_id}/cancel</c>: interrupts the prompt when it runs, removes it when pending.
    /// An unknown (or finished, or another user's) prompt gives a result with nothing cancelled.
    /// </summary>
    public async Task<CancelPromptResult> CancelPromptAsync(string promptId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(promptId);
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "api/queue/" + Uri.EscapeDataString(promptId) + "/cancel", Json(new JsonObject()), cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new CancelPromptResult(promptId, []);
        }
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, text);
        JsonObject reply = TryParseObject(text) ?? throw new ComfyClientException("POST /api/queue/{prompt_id}/cancel did not return a JSON object.", response.StatusCode, text);
        var cancelled = (reply["cancelled"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new CancelledPrompt(c["prompt_id"]?.GetValue<string>() ?? "", c["state"]?.GetValue<string>() ?? ""))
            .ToList();
        return new CancelPromptResult(promptId, cancelled);
    }

    /// <summary>
    /// Opens <c>GET /api/events[?prompt_id=]</c> (Server-Sent Events). The returned stream is subscribed once this
    /// completes, so a prompt queued afterwards has none of its events missed. Throws <see cref="ComfyClientException"/>
    /// (401 with a wrong key) when the server refuses.
    /// </summary>
    public async Task<ComfyEventStream> OpenEventStreamAsync(string? promptId = null, CancellationToken cancellationToken = default)
    {
        string relative = "api/events" + (promptId is { Length: > 0 } ? "?prompt_id=" + Uri.EscapeDataString(promptId) : "");
        HttpResponseMessage response = await SendAsync(HttpMethod.Get, relative, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                EnsureSuccess(response, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            }
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new ComfyEventStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Yields the messages of <c>GET /api/events[?prompt_id=]</c> (Server-Sent Events) as the same typed
    /// <see cref="ComfyEvent"/> objects <c>/ws</c> gives, until cancelled or the server ends the stream. For clients
    /// behind proxies that drop WebSockets (ComfySharp servers).
    /// </summary>
    public async IAsyncEnumerable<ComfyEvent> StreamServerSentEventsAsync(string? promptId = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using ComfyEventStream stream = await OpenEventStreamAsync(promptId, cancellationToken).ConfigureAwait(false);
        while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            yield return message;
        }
    }

    /// <summary>A copy of <paramref name="extraData"/> with <c>webhook</c> set (the same object, or null, when <paramref name="webhook"/> is null).</summary>
    public static JsonObject? WithWebhook(JsonObject? extraData, Uri? webhook)
    {
        if (webhook is null)
        {
            return extraData;
        }
        if (!webhook.IsAbsoluteUri || (webhook.Scheme != Uri.UriSchemeHttp && webhook.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A webhook must be an absolute http or https URL: '{webhook}'.", nameof(webhook));
        }
        var copy = extraData?.DeepClone() as JsonObject ?? [];
        copy["webhook"] = webhook.AbsoluteUri;
        return copy;
    }
}
