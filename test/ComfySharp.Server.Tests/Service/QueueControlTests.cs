using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>Priorities, pause/resume, cancel by id and move-to-front over a real server.</summary>
public sealed class QueueControlTests
{
    private static JsonObject Sleep(double seconds, int value) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 } },
        ["2"] = new JsonObject { ["class_type"] = "TestSleep", ["inputs"] = new JsonObject { ["value"] = new JsonArray("1", 0), ["seconds"] = seconds } },
        ["3"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("2", 0), ["filename_prefix"] = $"q{value}" } },
    };

    private static async Task<string> PostAsync(ComfyTestServer server, JsonObject graph, string id, double? priority = null)
    {
        var body = new JsonObject { ["prompt"] = graph, ["prompt_id"] = id };
        if (priority is double p)
        {
            body["extra_data"] = new JsonObject { ["priority"] = p };
        }
        using HttpResponseMessage response = await server.PostJsonAsync("prompt", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return id;
    }

    private static async Task<JsonObject> PostControlAsync(ComfyTestServer server, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using HttpResponseMessage response = await server.PostJsonAsync(path, new JsonObject());
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {response.StatusCode} {text}");
        return text.Length == 0 ? [] : (JsonObject)JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Paused_queue_keeps_prompts_then_runs_by_priority_and_front_after_a_restart()
    {
        await using var server = await ComfyTestServer.StartAsync();
        JsonObject state = await PostControlAsync(server, "api/queue/pause");
        Assert.True((bool)state["paused"]!);
        await PostAsync(server, Sleep(0, 1), "low");
        await PostAsync(server, Sleep(0, 2), "high", priority: 5);
        await PostAsync(server, Sleep(0, 3), "mid", priority: 1);
        await PostAsync(server, Sleep(0, 4), "late");
        await PostAsync(server, Sleep(0, 5), "doomed");
        await Task.Delay(300);
        JsonNode queue = (await server.GetJsonAsync("queue"))!;
        Assert.True((bool)queue["queue_paused"]!);
        Assert.Empty(queue["queue_running"]!.AsArray());
        Assert.Equal(5, queue["queue_pending"]!.AsArray().Count);

        JsonObject moved = await PostControlAsync(server, "api/queue/late/front");
        Assert.True((bool)moved["moved"]!);
        JsonObject cancelled = await PostControlAsync(server, "api/queue/doomed/cancel");
        Assert.Equal("doomed", (string)cancelled["cancelled"]![0]!["prompt_id"]!);
        Assert.Equal("pending", (string)cancelled["cancelled"]![0]!["state"]!);
        await PostControlAsync(server, "api/queue/doomed/cancel", HttpStatusCode.NotFound);

        // Priorities and the moved number are stored with the queue: a restart (which starts unpaused) keeps the order.
        await server.RestartAsync();
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await server.GetJsonAsync("history"))!).Count == 4);
        var order = ((JsonObject)(await server.GetJsonAsync("history"))!).Select(kv => kv.Key).ToList();
        Assert.Equal(["high", "mid", "late", "low"], order);
        Assert.Null((await server.GetJsonAsync("queue"))!["queue_paused"]);
    }

    [Fact]
    public async Task Resume_starts_a_paused_queue_and_cancel_interrupts_a_running_prompt()
    {
        await using var server = await ComfyTestServer.StartAsync();
        await PostControlAsync(server, "api/queue/pause");
        await PostAsync(server, Sleep(0, 1), "waiting");
        await Task.Delay(300);
        Assert.Empty((JsonObject)(await server.GetJsonAsync("history/waiting"))!);
        JsonObject state = await PostControlAsync(server, "api/queue/resume");
        Assert.False((bool)state["paused"]!);
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await server.GetJsonAsync("history/waiting"))!).Count > 0);

        await PostAsync(server, Sleep(30, 2), "long");
        await ComfyTestServer.WaitUntilAsync(async () => (string?)(await server.GetJsonAsync("api/queue/state"))!["running"] == "long");
        JsonObject cancelled = await PostControlAsync(server, "api/queue/long/cancel");
        Assert.Equal("running", (string)cancelled["cancelled"]![0]!["state"]!);
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await server.GetJsonAsync("history/long"))!).Count > 0, TimeSpan.FromSeconds(10));
        JsonNode entry = (await server.GetJsonAsync("history/long"))!["long"]!;
        Assert.Contains(entry["status"]!["messages"]!.AsArray(), m => (string?)m![0] == "execution_interrupted");
    }
}
