using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class QueueFlowTests
{
    private static async Task<JsonObject> QueueAsync(ComfyTestServer server) => (JsonObject)(await server.GetJsonAsync("queue"))!;

    private static async Task WaitRunningAsync(ComfyTestServer server) =>
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonArray)(await QueueAsync(server))["queue_running"]!).Count == 1);

    [Fact]
    public async Task Numbers_front_and_client_prompt_ids_follow_the_reference()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        JsonObject blocker = await StandInServer.PostPromptAsync(server, StandInServer.SleepGraph(30), "c7");
        Assert.Equal("0", blocker["number"]!.ToJsonString());
        await WaitRunningAsync(server);
        JsonObject second = await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph());
        Assert.Equal("1", PythonJson.Serialize(second["number"]));
        JsonObject front = await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), extra: b => b["front"] = true);
        Assert.Equal("-2", PythonJson.Serialize(front["number"]));
        JsonObject explicitNumber = await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), extra: b => { b["number"] = 3; b["prompt_id"] = "my-custom-id"; });
        Assert.Equal("3.0", PythonJson.Serialize(explicitNumber["number"]));
        Assert.Equal("my-custom-id", (string)explicitNumber["prompt_id"]!);
        Assert.Equal(Guid.Parse((string)second["prompt_id"]!).ToString(), (string)second["prompt_id"]!);

        JsonObject queue = await QueueAsync(server);
        JsonArray running = (JsonArray)((JsonArray)queue["queue_running"]!)[0]!;
        Assert.Equal(5, running.Count);
        Assert.Equal(["client_id", "create_time"], ((JsonObject)running[3]!).Select(kv => kv.Key));
        Assert.Equal("[\"2\"]", PythonJson.Serialize(running[4]));
        var pending = ((JsonArray)queue["queue_pending"]!).Select(i => PythonJson.Serialize(i![0])).ToList();
        Assert.Equal(["-2", "1", "3.0"], pending);
        Assert.Equal("{\"exec_info\": {\"queue_remaining\": 4}}", await server.Http.GetStringAsync("prompt"));

        using HttpResponseMessage del = await server.PostJsonAsync("queue", new JsonObject { ["delete"] = new JsonArray("my-custom-id", "unknown", (string)blocker["prompt_id"]!) });
        Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        Assert.Equal(0, del.Content.Headers.ContentLength);
        Assert.Equal(2, ((JsonArray)(await QueueAsync(server))["queue_pending"]!).Count);
        using HttpResponseMessage clear = await server.PostJsonAsync("api/queue", new JsonObject { ["clear"] = true });
        JsonObject after = await QueueAsync(server);
        Assert.Empty((JsonArray)after["queue_pending"]!);
        Assert.Single((JsonArray)after["queue_running"]!);
        using HttpResponseMessage stop = await server.PostJsonAsync("interrupt", new JsonObject());
        await StandInServer.WaitForHistoryAsync(server, (string)blocker["prompt_id"]!);
    }

    [Fact]
    public async Task Interrupt_for_another_prompt_is_ignored_and_the_running_one_is_recorded_as_error()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await server.ConnectAsync("c9");
        string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SleepGraph(30), "c9"))["prompt_id"]!;
        await WaitRunningAsync(server);
        using (HttpResponseMessage other = await server.PostJsonAsync("interrupt", new JsonObject { ["prompt_id"] = "not-running" }))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        Assert.Single((JsonArray)(await QueueAsync(server))["queue_running"]!);
        using (HttpResponseMessage global = await server.Http.PostAsync("api/interrupt", null))
        {
            Assert.Equal(HttpStatusCode.OK, global.StatusCode);
        }
        await ws.WaitForCompletionAsync(id);
        JsonObject entry = (JsonObject)(await server.GetJsonAsync($"history/{id}"))![id]!;
        Assert.Equal(["prompt", "outputs", "status", "meta"], entry.Select(kv => kv.Key));
        Assert.Equal("error", (string)entry["status"]!["status_str"]!);
        Assert.False((bool)entry["status"]!["completed"]!);
        Assert.Equal("execution_interrupted", (string)((JsonArray)entry["status"]!["messages"]!)[^1]![0]!);
        Assert.Equal("execution_interrupted", ws.Received.Select(f => f.Type).Where(t => t.StartsWith("execution_", StringComparison.Ordinal)).Last());
    }

    [Fact]
    public async Task Interrupt_while_idle_does_not_affect_the_next_prompt()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        using (HttpResponseMessage _ = await server.Http.PostAsync("interrupt", null))
        {
        }
        string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SleepGraph(0.05)))["prompt_id"]!;
        await StandInServer.WaitForHistoryAsync(server, id);
        Assert.Equal("success", (string)(await server.GetJsonAsync($"history/{id}"))![id]!["status"]!["status_str"]!);
    }

    [Fact]
    public async Task Sensitive_extra_data_never_reaches_queue_or_history()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "c1", b =>
            b["extra_data"] = new JsonObject { ["extra_pnginfo"] = new JsonObject { ["workflow"] = new JsonObject { ["id"] = "wf-A" } }, ["api_key_comfy_org"] = "secret" }))["prompt_id"]!;
        await StandInServer.WaitForHistoryAsync(server, id);
        string history = await server.Http.GetStringAsync($"history/{id}");
        Assert.DoesNotContain("secret", history, StringComparison.Ordinal);
        JsonObject extra = (JsonObject)PythonJson.Parse(history)![id]!["prompt"]![3]!;
        Assert.Equal(["extra_pnginfo", "client_id", "create_time"], extra.Select(kv => kv.Key));
    }

    [Fact]
    public async Task History_pages_deletes_and_clears()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph()))["prompt_id"]!;
            await StandInServer.WaitForHistoryAsync(server, id);
            ids.Add(id);
        }
        Assert.Equal(ids[1..], ((JsonObject)(await server.GetJsonAsync("history?max_items=2"))!).Select(kv => kv.Key));
        Assert.Equal(ids[1..2], ((JsonObject)(await server.GetJsonAsync("history?max_items=1&offset=1"))!).Select(kv => kv.Key));
        Assert.Empty((JsonObject)(await server.GetJsonAsync("history?offset=5"))!);
        using (HttpResponseMessage _ = await server.PostJsonAsync("history", new JsonObject { ["delete"] = new JsonArray(ids[0], "nope") }))
        {
        }
        Assert.Equal(ids[1..], ((JsonObject)(await server.GetJsonAsync("api/history"))!).Select(kv => kv.Key));
        using (HttpResponseMessage _ = await server.PostJsonAsync("api/history", new JsonObject { ["clear"] = true }))
        {
        }
        Assert.Empty((JsonObject)(await server.GetJsonAsync("history"))!);
    }

    [Fact]
    public async Task Jobs_list_filters_sorts_and_validates_like_the_reference()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        string done = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "c", b =>
            b["extra_data"] = new JsonObject { ["extra_pnginfo"] = new JsonObject { ["workflow"] = new JsonObject { ["id"] = "wf-A" } } }))["prompt_id"]!;
        await StandInServer.WaitForHistoryAsync(server, done);
        string running = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SleepGraph(30)))["prompt_id"]!;
        await WaitRunningAsync(server);
        string pending = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph()))["prompt_id"]!;

        JsonObject all = (JsonObject)(await server.GetJsonAsync("api/jobs"))!;
        Assert.Equal([pending, running, done], ((JsonArray)all["jobs"]!).Select(j => (string)j!["id"]!));
        Assert.Equal("{\"offset\": 0, \"limit\": null, \"total\": 3, \"has_more\": false}", PythonJson.Serialize(all["pagination"]));
        JsonObject page = (JsonObject)(await server.GetJsonAsync("api/jobs?sort_order=asc&limit=1&offset=1"))!;
        Assert.Equal(running, (string)page["jobs"]![0]!["id"]!);
        Assert.True((bool)page["pagination"]!["has_more"]!);

        JsonObject completed = (JsonObject)(await server.GetJsonAsync("api/jobs?status=completed&workflow_id=wf-A"))!;
        JsonObject job = (JsonObject)completed["jobs"]![0]!;
        Assert.Equal(["id", "status", "priority", "create_time", "execution_start_time", "execution_end_time", "outputs_count", "preview_output", "workflow_id"], job.Select(kv => kv.Key));
        Assert.Equal(1, (int)job["outputs_count"]!);
        Assert.Equal("2", (string)job["preview_output"]!["nodeId"]!);
        Assert.Equal("images", (string)job["preview_output"]!["mediaType"]!);

        JsonObject single = (JsonObject)(await server.GetJsonAsync($"api/jobs/{done}"))!;
        Assert.Equal(["outputs", "execution_status", "workflow"], single.Select(kv => kv.Key).TakeLast(3));
        JsonObject queued = (JsonObject)(await server.GetJsonAsync($"api/jobs/{pending}"))!;
        Assert.Equal("pending", (string)queued["status"]!);
        Assert.False(queued.ContainsKey("outputs"));

        foreach (var (query, error) in new[]
        {
            ("status=done", "Invalid status value(s): done. Valid values: pending, in_progress, completed, failed"),
            ("sort_by=name", "sort_by must be 'created_at' or 'execution_duration'"),
            ("sort_order=up", "sort_order must be 'asc' or 'desc'"),
            ("limit=x", "limit must be an integer"),
            ("limit=0", "limit must be a positive integer"),
            ("offset=x", "offset must be an integer"),
        })
        {
            using HttpResponseMessage bad = await server.Http.GetAsync("api/jobs?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(PythonJson.Serialize(new JsonObject { ["error"] = error }), await bad.Content.ReadAsStringAsync());
        }
        using (HttpResponseMessage _ = await server.PostJsonAsync("queue", new JsonObject { ["clear"] = true }))
        {
        }
        using (HttpResponseMessage _ = await server.Http.PostAsync("interrupt", null))
        {
        }
        await StandInServer.WaitForHistoryAsync(server, running);
        JsonObject failed = (JsonObject)(await server.GetJsonAsync("api/jobs?status=failed"))!;
        Assert.Equal(running, (string)failed["jobs"]![0]!["id"]!);
        Assert.False(((JsonObject)failed["jobs"]![0]!).ContainsKey("execution_error"));
    }

    [Fact]
    public async Task Queue_and_history_survive_a_restart_and_the_running_prompt_is_recorded_as_failed()
    {
        string baseDirectory = TestPaths.NewTempDirectory("comfysharp-restart");
        try
        {
            string done, interrupted;
            var pending = new List<string>();
            await using (ComfyTestServer first = await StandInServer.StartAsync(baseDirectory: baseDirectory))
            {
                done = (string)(await StandInServer.PostPromptAsync(first, StandInServer.SaveGraph()))["prompt_id"]!;
                await StandInServer.WaitForHistoryAsync(first, done);
                interrupted = (string)(await StandInServer.PostPromptAsync(first, StandInServer.SleepGraph(60)))["prompt_id"]!;
                await WaitRunningAsync(first);
                for (int i = 0; i < 2; i++)
                {
                    pending.Add((string)(await StandInServer.PostPromptAsync(first, StandInServer.SaveGraph()))["prompt_id"]!);
                }
                await File.WriteAllTextAsync(Path.Combine(first.Directories.Temp, "preview.png"), "x");
            }
            Assert.False(File.Exists(Path.Combine(baseDirectory, "temp", "preview.png")));
            await using ComfyTestServer second = await StandInServer.StartAsync(baseDirectory: baseDirectory);
            foreach (string id in pending)
            {
                await StandInServer.WaitForHistoryAsync(second, id);
            }
            JsonObject history = (JsonObject)(await second.GetJsonAsync("history"))!;
            Assert.Equal([done, interrupted, .. pending], history.Select(kv => kv.Key));
            Assert.Equal("success", (string)history[done]!["status"]!["status_str"]!);
            JsonObject failed = (JsonObject)history[interrupted]!["status"]!;
            Assert.Equal("error", (string)failed["status_str"]!);
            Assert.Contains(QueueWorker.RestartMessage, PythonJson.Serialize(failed), StringComparison.Ordinal);
            Assert.All(pending, id => Assert.Equal("success", (string)history[id]!["status"]!["status_str"]!));
            Assert.True(File.Exists(Path.Combine(baseDirectory, "user", "comfysharp.db")));
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }
}
