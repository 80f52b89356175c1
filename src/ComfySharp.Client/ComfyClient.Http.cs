using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ComfySharp.Client;

// ComfyClient: HTTP plumbing shared by every route.
public sealed partial class ComfyClient
{
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

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, HttpContent? content, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress, relative)) { Content = content };
        if (Options.Credential is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
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
