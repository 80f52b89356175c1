using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Storage;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.ScaleOut;

/// <summary>
/// The cluster as the API nodes show and control it, with real processes on a real PostgreSQL: 2 API
/// nodes and 2 workers (one tagged). Either API node shows the whole queue with the worker of each running
/// prompt, deletes pending prompts another node accepted, and interrupts and cancels running prompts on
/// their workers; <c>extra_data.worker_tags</c> pins a prompt to the tagged worker; <c>/system_stats</c>
/// and <c>/metrics</c> show the workers and their load; a prompt no live worker can run is refused.
/// </summary>
public sealed class ScaleOutClusterProcessTests
{
    [Fact]
    public async Task Any_api_node_shows_and_controls_the_whole_cluster()
    {
        using PostgresTestDatabase database = PostgresTestDatabase.Create();
        string root = TestPaths.NewTempDirectory("comfysharp-cluster");
        string output = Path.Combine(root, "output");
        var nodes = new List<HostProcess>();
        EventClient? client = null;
        try
        {
            string[] Flags(string name, string role, params string[] more) =>
            [
                "--base-directory", Path.Combine(root, name), "--output-directory", output, "--database", database.Url,
                "--role", role, "--test-nodes", "--cpu", "--lease-seconds", "3", "--worker-id", name, .. more,
            ];
            HostProcess[] started = await Task.WhenAll(
                HostProcess.StartAsync("api0", Flags("api0", "api")), HostProcess.StartAsync("api1", Flags("api1", "api")),
                HostProcess.StartAsync("tagged", Flags("tagged", "worker", "--worker-tags", "GPU24G, sdxl")),
                HostProcess.StartAsync("plain", Flags("plain", "worker")));
            nodes.AddRange(started);
            HostProcess api0 = started[0], api1 = started[1];
            client = await EventClient.ConnectAsync(api0.Address, "watcher");

            // The registry: both workers, their tags (normalised), their catalogues, idle.
            JsonArray workers = (JsonArray)(await GetJsonAsync(api1, "system_stats"))["workers"]!;
            Assert.Equal(["plain", "tagged"], workers.Select(w => (string)w!["id"]!));
            Assert.Equal(["gpu24g", "sdxl"], workers[1]!["tags"]!.AsArray().Select(t => (string)t!));
            Assert.Empty(workers[0]!["tags"]!.AsArray());
            Assert.All(workers, w => Assert.True((int)w!["node_classes"]! > 100));

            // Refused at the door: tags no live worker has, and tags of the wrong shape.
            (int status, JsonObject body) = await PostAsync(api0, Prompt("x", 0.1), new JsonObject { ["worker_tags"] = new JsonArray("sdxl", "h100") });
            Assert.Equal(400, status);
            Assert.Equal("no_worker", (string)body["error"]!["type"]!);
            (status, body) = await PostAsync(api0, Prompt("x", 0.1), new JsonObject { ["worker_tags"] = 5 });
            Assert.Equal(400, status);
            Assert.Equal("invalid_worker_tags", (string)body["error"]!["type"]!);

            // Pinned: the tagged prompt runs on the tagged worker; the next one on the other.
            string pinned = await SubmitAsync(api0, Prompt("pinned", 120), new JsonObject { ["worker_tags"] = "sdxl" });
            await WaitAsync(api1, q => WorkerOf(q, pinned) == "tagged", "the pinned prompt running on 'tagged'");
            string other = await SubmitAsync(api0, Prompt("other", 120));
            await WaitAsync(api1, q => WorkerOf(q, other) == "plain", "the second prompt running on 'plain'");
            string first = await SubmitAsync(api0, Prompt("first", 0.05));
            string second = await SubmitAsync(api1, Prompt("second", 0.05));
            string third = await SubmitAsync(api0, Prompt("third", 0.05), new JsonObject { ["priority"] = 5 });

            // Either node: both running prompts with their workers, and the pending ones in claim order.
            foreach (HostProcess api in new[] { api0, api1 })
            {
                JsonObject queue = await GetJsonAsync(api, "queue");
                Assert.Equal(new[] { pinned, other }.Order(StringComparer.Ordinal),
                    queue["queue_running"]!.AsArray().Select(t => (string)t![1]!).Order(StringComparer.Ordinal));
                Assert.Equal("tagged", WorkerOf(queue, pinned));
                Assert.Equal("plain", WorkerOf(queue, other));
                Assert.Equal([third, first, second], queue["queue_pending"]!.AsArray().Select(t => (string)t![1]!));
                Assert.Equal(5, (int)(await GetJsonAsync(api, "prompt"))["exec_info"]!["queue_remaining"]!);
            }
            JsonObject stats = await GetJsonAsync(api0, "system_stats");
            Assert.Equal(pinned, (string?)stats["workers"]![1]!["running"]);
            Assert.Equal(3, (int)stats["cluster_queue"]!["pending"]!);
            string metrics = await api0.Http.GetStringAsync("metrics");
            Assert.Contains("comfysharp_cluster_workers{state=\"busy\"} 2", metrics, StringComparison.Ordinal);
            Assert.Contains("comfysharp_worker_busy{worker=\"tagged\"} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("comfysharp_cluster_queue_depth{state=\"pending\"} 3", metrics, StringComparison.Ordinal);

            // Delete on the node that did not accept it; the others stay queued.
            using (var delete = new StringContent(PythonJson.Serialize(new JsonObject { ["delete"] = new JsonArray(second) })))
            {
                (await api0.Http.PostAsync("queue", delete)).EnsureSuccessStatusCode();
            }
            Assert.Equal([third, first], (await GetJsonAsync(api0, "queue"))["queue_pending"]!.AsArray().Select(t => (string)t![1]!));

            // Interrupt on one node, cancel on the other: each reaches the worker running the prompt.
            using (var interrupt = new StringContent(PythonJson.Serialize(new JsonObject { ["prompt_id"] = pinned })))
            {
                (await api1.Http.PostAsync("interrupt", interrupt)).EnsureSuccessStatusCode();
            }
            using (HttpResponseMessage cancel = await api0.Http.PostAsync($"api/queue/{other}/cancel", null))
            {
                string text = await cancel.Content.ReadAsStringAsync();
                Assert.True(cancel.IsSuccessStatusCode, text);
                Assert.Equal("running", (string)PythonJson.Parse(text)!["cancelled"]![0]!["state"]!);
            }
            JsonObject history = await WaitForHistoryAsync(api1, [pinned, other, first, third]);
            foreach (string id in new[] { pinned, other })
            {
                Assert.Contains("execution_interrupted", PythonJson.Serialize(history[id]!["status"]), StringComparison.Ordinal);
            }
            foreach (string id in new[] { first, third })
            {
                Assert.Equal("success", (string)history[id]!["status"]!["status_str"]!);
            }
            Assert.Null(history[second]);
            Assert.Empty((await GetJsonAsync(api1, "queue"))["queue_running"]!.AsArray());
            Assert.Contains(client.Messages, m => m.Type == "execution_interrupted" && m.PromptId == pinned);
        }
        catch (Exception) when (nodes.Count > 0)
        {
            foreach (HostProcess node in nodes)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"--- {node.Name} ---\n{node.Output}");
            }
            throw;
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
            foreach (HostProcess node in nodes)
            {
                node.Dispose();
            }
            Directory.Delete(root, recursive: true);
        }
    }

    private static JsonObject Prompt(string prefix, double seconds) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 } },
        ["2"] = new JsonObject { ["class_type"] = "TestSleep", ["inputs"] = new JsonObject { ["value"] = new JsonArray("1", 0), ["seconds"] = seconds } },
        ["3"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("2", 0), ["filename_prefix"] = prefix } },
    };

    private static string? WorkerOf(JsonObject queue, string promptId) => (string?)queue["running_workers"]?[promptId];

    private static async Task<(int Status, JsonObject Body)> PostAsync(HostProcess api, JsonObject prompt, JsonObject? extraData = null)
    {
        var body = new JsonObject { ["prompt"] = prompt, ["client_id"] = "watcher" };
        if (extraData is not null)
        {
            body["extra_data"] = extraData;
        }
        using var content = new StringContent(PythonJson.Serialize(body));
        using HttpResponseMessage response = await api.Http.PostAsync("prompt", content);
        return ((int)response.StatusCode, (JsonObject)PythonJson.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static async Task<string> SubmitAsync(HostProcess api, JsonObject prompt, JsonObject? extraData = null)
    {
        (int status, JsonObject body) = await PostAsync(api, prompt, extraData);
        Assert.True(status == 200, PythonJson.Serialize(body));
        return (string)body["prompt_id"]!;
    }

    private static async Task<JsonObject> GetJsonAsync(HostProcess api, string path) =>
        (JsonObject)PythonJson.Parse(await api.Http.GetStringAsync(path))!;

    private static async Task WaitAsync(HostProcess api, Func<JsonObject, bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (condition(await GetJsonAsync(api, "queue")))
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}: {PythonJson.Serialize(await GetJsonAsync(api, "queue"))}");
    }

    private static async Task<JsonObject> WaitForHistoryAsync(HostProcess api, string[] ids)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonObject history = [];
        while (DateTime.UtcNow < deadline)
        {
            history = await GetJsonAsync(api, "history");
            if (ids.All(history.ContainsKey))
            {
                return history;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"only {string.Join(", ", ids.Where(history.ContainsKey))} of {ids.Length} prompts reached the history");
        return history;
    }
}
