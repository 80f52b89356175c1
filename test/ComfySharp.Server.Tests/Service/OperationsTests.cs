using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>Health, readiness, /metrics and the OpenAPI document over a real server.</summary>
public sealed class OperationsTests
{
    private static JsonObject Graph(string prefix = "ops") => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 } },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = prefix } },
    };

    internal static async Task<string> RunAsync(ComfyTestServer server, JsonObject graph, Action<JsonObject>? extra = null)
    {
        var body = new JsonObject { ["prompt"] = graph };
        extra?.Invoke(body);
        using HttpResponseMessage response = await server.PostJsonAsync("prompt", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        string id = (string)PythonJson.Parse(text)!["prompt_id"]!;
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await server.GetJsonAsync($"history/{id}"))!).Count > 0);
        return id;
    }

    [Fact]
    public async Task Health_and_ready_answer_with_their_checks()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.Options.ReadinessChecks["device"] = () => true);
        JsonNode? health = await server.GetJsonAsync("api/health");
        Assert.Equal("ok", (string?)health!["status"]);
        using HttpResponseMessage ready = await server.Http.GetAsync("api/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        JsonNode body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.True((bool)body["ready"]!);
        Assert.True((bool)body["checks"]!["database"]!);
        Assert.True((bool)body["checks"]!["worker"]!);
        Assert.True((bool)body["checks"]!["device"]!);
    }

    [Fact]
    public async Task Ready_is_503_when_a_check_fails()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.Options.ReadinessChecks["device"] = () => throw new InvalidOperationException("no device"));
        using HttpResponseMessage ready = await server.Http.GetAsync("api/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        JsonNode body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.False((bool)body["ready"]!);
        Assert.False((bool)body["checks"]!["device"]!);
    }

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_move_as_prompts_run()
    {
        await using var server = await ComfyTestServer.StartAsync();
        PrometheusText before = await ScrapeAsync(server);
        Assert.Equal("histogram", before.Types["comfysharp_execution_seconds"]);
        Assert.Equal("counter", before.Types["comfysharp_prompts_total"]);
        Assert.True(before.Value("process_working_set_bytes") > 0);

        await RunAsync(server, Graph());
        await RunAsync(server, Graph());
        await using var socket = await server.ConnectAsync("metrics-socket");
        await socket.NextAsync(); // the connect-time status: the hub has registered the socket
        PrometheusText after = await ScrapeAsync(server);
        after.CheckHistograms();

        Assert.Equal(2, after.Value("comfysharp_prompts_total", ("outcome", "success")) - before.Value("comfysharp_prompts_total", ("outcome", "success")));
        Assert.Equal(2, after.Value("comfysharp_execution_seconds_count", ("outcome", "success")));
        Assert.Equal(2, after.Value("comfysharp_queue_wait_seconds_count"));
        // The first run executes both nodes; the second finds both in the output cache.
        Assert.Equal(1, after.Value("comfysharp_node_execution_seconds_count", ("class_type", "SaveImage")));
        Assert.Equal(1, after.Value("comfysharp_node_execution_seconds_count", ("class_type", "StubImage")));
        Assert.Equal(2, after.Value("comfysharp_cache_hits_total"));
        Assert.Equal(0, after.Value("comfysharp_queue_depth", ("state", "pending")));
        Assert.Equal(1, after.Value("comfysharp_websockets_connected"));
        Assert.True(after.Value("comfysharp_execution_seconds_sum") > 0);
    }

    [Fact]
    public async Task Openapi_document_is_valid_3_1_and_lists_every_mapped_route()
    {
        await using var server = await ComfyTestServer.StartAsync();
        string text = await server.Http.GetStringAsync("openapi.json");
        Assert.StartsWith("3.1", (string)JsonNode.Parse(text)!["openapi"]!, StringComparison.Ordinal);
        ReadResult read = OpenApiDocument.Parse(text, "json");
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        OpenApiDocument document = read.Document!;
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? []);

        var missing = new List<string>();
        var documented = document.Paths.ToDictionary(p => p.Key, p => p.Value.Operations?.Keys.Select(m => m.Method.ToUpperInvariant()).ToHashSet() ?? [], StringComparer.Ordinal);
        foreach (RouteEndpoint endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            string path = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (path is "/openapi.json" || path.StartsWith("/docs", StringComparison.Ordinal) || path.StartsWith("/scalar", StringComparison.Ordinal))
            {
                continue; // the document and its reference page
            }
            foreach (string method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                if (!documented.TryGetValue(path, out HashSet<string>? methods) || !methods.Contains(method))
                {
                    missing.Add($"{method} {path}");
                }
            }
        }
        Assert.Empty(missing);
        Assert.NotNull(document.Paths["/prompt"].Operations![HttpMethod.Post].RequestBody);
        Assert.True(document.Paths["/api/queue/{prompt_id}/cancel"].Operations![HttpMethod.Post].Responses!.ContainsKey("200"));

        using HttpResponseMessage docs = await server.Http.GetAsync("docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("openapi.json", await docs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static async Task<PrometheusText> ScrapeAsync(ComfyTestServer server)
    {
        using HttpResponseMessage response = await server.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }
}
