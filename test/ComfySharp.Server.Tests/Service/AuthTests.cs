using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Storage;
using ComfySharp.TestKit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>Users, keys, per-user isolation and quotas with <c>--auth</c>, over real HTTP and WebSockets on Kestrel.</summary>
public sealed class AuthTests
{
    private static readonly (string Viewer, string Owner)[] Pairs = [("alice", "alice"), ("alice", "bob"), ("bob", "bob"), ("bob", "alice")];

    [Fact]
    public async Task Users_see_download_cancel_and_subscribe_only_to_their_own_work()
    {
        await using AuthServer auth = await AuthServer.StartAsync();
        await auth.PromptAsync("alice", "a-done", AuthServer.Graph("pic"));
        await auth.PromptAsync("bob", "b-done", AuthServer.Graph("pic"));
        foreach (string user in new[] { "alice", "bob" })
        {
            string id = user[0] + "-done";
            await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await auth.GetJsonAsync(user, $"history/{id}"))!).Count > 0);
        }
        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("root", "api/queue/pause", new JsonObject())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auth.PostAsync("alice", "api/queue/resume", new JsonObject())).StatusCode);
        await auth.PromptAsync("alice", "a-pend", AuthServer.Graph("pic"), clientId: "same");
        await auth.PromptAsync("bob", "b-pend", AuthServer.Graph("pic"), clientId: "same");

        var failures = new List<string>();
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                failures.Add(what);
            }
        }
        foreach (var (viewer, owner) in Pairs)
        {
            bool own = viewer == owner;
            string done = owner[0] + "-done", pend = owner[0] + "-pend";
            string row = $"{viewer} on {owner}'s";
            Check(((JsonObject)(await auth.GetJsonAsync(viewer, "history"))!).ContainsKey(done) == own, $"{row} GET /history");
            Check(((JsonObject)(await auth.GetJsonAsync(viewer, "history?max_items=5"))!).ContainsKey(done) == own, $"{row} GET /history?max_items");
            Check((((JsonObject)(await auth.GetJsonAsync(viewer, $"api/history/{done}"))!).Count > 0) == own, $"{row} GET /api/history/id");
            Check((await auth.GetJsonAsync(viewer, "queue"))!["queue_pending"]!.AsArray().Any(t => (string?)t![1] == pend) == own, $"{row} GET /queue");
            var jobs = (await auth.GetJsonAsync(viewer, "api/jobs"))!["jobs"]!.AsArray().Select(j => (string?)j!["id"]).ToList();
            Check(jobs.Contains(done) == own && jobs.Contains(pend) == own, $"{row} GET /api/jobs");
            Check(((await auth.As(viewer).GetAsync($"api/jobs/{done}")).StatusCode == HttpStatusCode.OK) == own, $"{row} GET /api/jobs/id");
            Check(((await auth.As(viewer).GetAsync($"api/jobs/{pend}")).StatusCode == HttpStatusCode.OK) == own, $"{row} GET /api/jobs/pending-id");
            JsonNode image = (await auth.GetJsonAsync(owner, $"history/{done}"))![done]!["outputs"]!["3"]!["images"]![0]!;
            Check((string?)image["subfolder"] == "u_" + owner, $"{owner}'s output is under u_{owner}");
            string view = $"view?filename={Uri.EscapeDataString((string)image["filename"]!)}&subfolder={Uri.EscapeDataString((string)image["subfolder"]!)}&type=output";
            Check(((await auth.As(viewer).GetAsync(view)).StatusCode == HttpStatusCode.OK) == own, $"{row} GET /view");
            Check(((await auth.As(viewer).GetAsync("api/" + view)).StatusCode == HttpStatusCode.OK) == own, $"{row} GET /api/view");
            Check(((await auth.PostAsync(viewer, $"api/queue/{pend}/front", new JsonObject())).StatusCode == HttpStatusCode.OK) == own, $"{row} POST front");
            Check((int)(await auth.GetJsonAsync(viewer, "api/queue/state"))!["pending"]! == 1, $"{viewer} GET /api/queue/state");
        }
        // Attempts on someone else's work change nothing.
        foreach (var (viewer, owner) in Pairs.Where(p => p.Viewer != p.Owner))
        {
            string done = owner[0] + "-done", pend = owner[0] + "-pend";
            await auth.PostAsync(viewer, "queue", new JsonObject { ["delete"] = new JsonArray(pend) });
            await auth.PostAsync(viewer, "history", new JsonObject { ["delete"] = new JsonArray(done) });
            Check((await auth.PostAsync(viewer, $"api/queue/{pend}/cancel", new JsonObject())).StatusCode == HttpStatusCode.NotFound, $"{viewer} cancel {pend}");
            await auth.PostAsync(viewer, "interrupt", new JsonObject());
            Check(((JsonObject)(await auth.GetJsonAsync(owner, $"history/{done}"))!).Count > 0, $"{owner}'s {done} survived {viewer}");
            Check((await auth.GetJsonAsync(owner, "queue"))!["queue_pending"]!.AsArray().Any(t => (string?)t![1] == pend), $"{owner}'s {pend} survived {viewer}");
        }
        // Admins see everything.
        var all = (JsonObject)(await auth.GetJsonAsync("root", "history"))!;
        Check(all.ContainsKey("a-done") && all.ContainsKey("b-done"), "root sees all history");
        Check((await auth.GetJsonAsync("root", "queue"))!["queue_pending"]!.AsArray().Count == 2, "root sees the whole queue");
        // Each user has their own /userdata.
        Check((await auth.PostAsync("alice", "userdata/notes.json", new JsonObject { ["secret"] = 1 })).IsSuccessStatusCode, "alice writes userdata");
        Check((await auth.As("bob").GetAsync("userdata/notes.json")).StatusCode == HttpStatusCode.NotFound, "bob cannot read alice's userdata");
        Check((await auth.As("alice").GetAsync("userdata/notes.json")).StatusCode == HttpStatusCode.OK, "alice reads her userdata");

        // Events: both users connect with the same clientId; each hears only their own prompt, on /ws and on /api/events.
        await using var aliceSocket = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?clientId=same&token={auth.Keys["alice"].Key}"));
        await using var bobSocket = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?clientId=same&token={auth.Keys["bob"].Key}"));
        using var bobEvents = await SseReader.OpenAsync(auth.As("bob"), "api/events");
        using var aliceEvents = await SseReader.OpenAsync(auth.As("alice"), "api/events?prompt_id=a-pend");
        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("root", "api/queue/resume", new JsonObject())).StatusCode);
        await aliceSocket.WaitForCompletionAsync("a-pend");
        await bobSocket.WaitForCompletionAsync("b-pend");
        await aliceEvents.WaitForAsync("\"a-pend\"", "execution_success");
        await bobEvents.WaitForAsync("\"b-pend\"", "execution_success");
        Check(!aliceSocket.Received.Any(f => f.Text?.Contains("b-pend", StringComparison.Ordinal) == true), "alice's socket heard nothing of bob's prompt");
        Check(!bobSocket.Received.Any(f => f.Text?.Contains("a-pend", StringComparison.Ordinal) == true), "bob's socket heard nothing of alice's prompt");
        Check(!bobEvents.Text.Contains("a-pend", StringComparison.Ordinal), "bob's SSE heard nothing of alice's prompt");
        Check(!aliceEvents.Text.Contains("b-pend", StringComparison.Ordinal), "alice's filtered SSE heard only her prompt");
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Missing_wrong_and_revoked_keys_get_401_on_every_route_including_ws_and_events()
    {
        await using AuthServer auth = await AuthServer.StartAsync((store, keys) =>
        {
            store.AddUser("carol", false);
            keys["carol"] = store.CreateKey("carol");
        });
        Assert.Equal(HttpStatusCode.OK, (await auth.As("carol").GetAsync("queue")).StatusCode);
        // Revoked as `comfysharp keys revoke` does: another connection to the file; the server notices within its cache time.
        using (var store = new SqliteAccountStore(Path.Combine(auth.Directory, "user", "comfysharp.db")))
        {
            Assert.True(store.RevokeKey(auth.Keys["carol"].Record.Prefix));
        }
        await Task.Delay(ComfySharp.Server.Service.ApiKeyAuthenticator.CacheFor + TimeSpan.FromMilliseconds(200));

        var routes = new List<(string Method, string Path)>();
        foreach (RouteEndpoint endpoint in auth.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            string path = string.Join('/', (endpoint.RoutePattern.RawText ?? "").Split('/').Select(s => s.StartsWith('{') ? "x" : s)).TrimStart('/');
            foreach (string method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                routes.Add((method, path));
            }
        }
        Assert.True(routes.Count > 60, $"only {routes.Count} routes found");
        var wrong = new List<string>();
        using var anonymous = new HttpClient { BaseAddress = auth.Server.BaseAddress };
        foreach (var (name, client) in new[] { ("no key", anonymous), ("wrong key", auth.As("csk_not-a-key")), ("revoked key", auth.As("carol")) })
        {
            foreach (var (method, path) in routes)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }
                using HttpResponseMessage response = await client.SendAsync(request);
                // The probes, and the built-in editor's page and bundle (no user data; the page then sends its key).
                bool anonymousRoute = path is "api/health" or "api/ready" || (method is "GET" or "HEAD" && (path is "" or "comfysharp" || path.StartsWith("comfysharp/", StringComparison.Ordinal)));
                if ((response.StatusCode == HttpStatusCode.Unauthorized) == anonymousRoute)
                {
                    wrong.Add($"{name}: {method} /{path} -> {(int)response.StatusCode}");
                }
            }
            using HttpResponseMessage sse = await client.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead);
            if (sse.StatusCode != HttpStatusCode.Unauthorized)
            {
                wrong.Add($"{name}: /api/events -> {(int)sse.StatusCode}");
            }
        }
        foreach (string token in new[] { "", "&token=csk_not-a-key", $"&token={auth.Keys["carol"].Key}" })
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            var uri = new UriBuilder(new Uri(auth.Server.BaseAddress, $"ws?clientId=c{token}")) { Scheme = "ws" }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
            if (socket.HttpStatusCode != HttpStatusCode.Unauthorized)
            {
                wrong.Add($"/ws{token}: {socket.HttpStatusCode}");
            }
        }
        Assert.Empty(wrong);
        // A good key still works, by header and by ?token=.
        Assert.Equal(HttpStatusCode.OK, (await auth.As("alice").GetAsync("queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"queue?token={auth.Keys["alice"].Key}")).StatusCode);
    }

    [Fact]
    public async Task Quotas_answer_429_with_retry_after()
    {
        await using AuthServer auth = await AuthServer.StartAsync((store, keys) =>
        {
            store.AddUser("dave", false);
            keys["dave-pending"] = store.CreateKey("dave", maxPending: 1);
            keys["dave-rate"] = store.CreateKey("dave", perMinute: 2);
        });
        Assert.Equal(HttpStatusCode.OK, (await auth.PostAsync("root", "api/queue/pause", new JsonObject())).StatusCode);
        await auth.PromptAsync("dave-pending", "p1", AuthServer.Graph("q"));
        using HttpResponseMessage second = await auth.PostAsync("dave-pending", "prompt", new JsonObject { ["prompt"] = AuthServer.Graph("q") });
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("quota_exceeded", (string?)JsonNode.Parse(await second.Content.ReadAsStringAsync())!["error"]!["type"]);

        await auth.PostAsync("root", "queue", new JsonObject { ["clear"] = true });
        await auth.PromptAsync("dave-rate", "r1", AuthServer.Graph("q"));
        await auth.PromptAsync("dave-rate", "r2", AuthServer.Graph("q"));
        using HttpResponseMessage third = await auth.PostAsync("dave-rate", "prompt", new JsonObject { ["prompt"] = AuthServer.Graph("q") });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        TimeSpan retry = third.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retry.TotalSeconds, 1, 60);
        // Other keys are not held back by dave's.
        await auth.PromptAsync("alice", "a1", AuthServer.Graph("q"));
    }
}
