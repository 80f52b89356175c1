using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Helpers for the hardening tests: raw bodies over real HTTP, and the health check every such test
/// ends with (a valid prompt still runs; <c>/history</c>, <c>/queue</c>, <c>/api/jobs</c> still parse).
/// </summary>
internal static class HardeningServer
{
    /// <summary>EmptyImage (8×8) → SaveImage with the given prefix: the cheapest real prompt.</summary>
    public static JsonObject ValidGraph(string prefix = "ok") => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 8, ["height"] = 8, ["batch_size"] = 1, ["color"] = 0 } },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = prefix } },
    };

    /// <summary>POSTs raw text as JSON.</summary>
    public static async Task<(int Status, string Body)> PostRawAsync(ComfyTestServer server, string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await server.Http.PostAsync(path, content).ConfigureAwait(false);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    /// <summary>POSTs <c>{"prompt": graph}</c> and returns the status and body.</summary>
    public static Task<(int Status, string Body)> PostPromptAsync(ComfyTestServer server, JsonNode graph) =>
        PostRawAsync(server, "prompt", PythonJson.Serialize(new JsonObject { ["prompt"] = graph }));

    /// <summary>Waits until the prompt is in the history and returns its entry.</summary>
    public static async Task<JsonObject> WaitForHistoryAsync(ComfyTestServer server, string promptId, TimeSpan? limit = null)
    {
        JsonObject? entry = null;
        await ComfyTestServer.WaitUntilAsync(async () =>
        {
            try
            {
                entry = (await server.GetJsonAsync($"history/{promptId}").ConfigureAwait(false))?[promptId] as JsonObject;
            }
            catch (TaskCanceledException)
            {
                // One poll outlived the client's timeout on a starved machine; the overall limit decides.
                return false;
            }
            return entry is not null;
        }, limit ?? TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return entry!;
    }

    /// <summary>Asserts the server is healthy: a valid prompt runs to success and every listing parses.</summary>
    public static async Task AssertHealthyAsync(ComfyTestServer server)
    {
        var (status, body) = await PostPromptAsync(server, ValidGraph()).ConfigureAwait(false);
        Assert.True(status == 200, $"valid prompt answered {status}: {body}");
        string id = (string)PythonJson.Parse(body)!["prompt_id"]!;
        JsonObject entry = await WaitForHistoryAsync(server, id).ConfigureAwait(false);
        Assert.Equal("success", (string?)entry["status"]?["status_str"]);
        await AssertListingsParseAsync(server).ConfigureAwait(false);
    }

    /// <summary><c>/history</c>, <c>/queue</c>, <c>/api/jobs</c> answer 200 with JSON.</summary>
    public static async Task AssertListingsParseAsync(ComfyTestServer server)
    {
        foreach (string path in new[] { "history", "queue", "api/jobs", "api/history?max_items=5" })
        {
            using HttpResponseMessage response = await server.Http.GetAsync(path).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {text}");
            Assert.NotNull(PythonJson.Parse(text));
        }
    }
}
