using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.TestKit;
using SkiaSharp;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>
/// The conformance pack (TESTPACK.md) through the real server, engine and nodes: HTTP POST /prompt, one
/// WebSocket per client, results read from /history and /view — the way the reference's black-box
/// execution suite drives a server (TESTPACK.md §9).
/// </summary>
public sealed class ConformanceFlowTests
{
    /// <summary>One client: its socket, and helpers to submit a prompt and collect what it saw.</summary>
    private sealed class PackClient : IAsyncDisposable
    {
        private readonly ComfyTestServer _server;
        private readonly ComfyWebSocketClient _ws;
        private int _seen;

        private PackClient(ComfyTestServer server, ComfyWebSocketClient ws, string id)
        {
            _server = server;
            _ws = ws;
            Id = id;
        }

        public string Id { get; }

        public static async Task<PackClient> ConnectAsync(ComfyTestServer server, string id)
        {
            var ws = await server.ConnectAsync(id);
            await ws.NextAsync();
            return new PackClient(server, ws, id) { _seen = 1 };
        }

        public async Task<string> SubmitAsync(JsonObject prompt)
        {
            using var response = await _server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt.DeepClone(), ["client_id"] = Id });
            var body = await ComfyTestServer.ReadJsonAsync(response);
            Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
            return (string)body!["prompt_id"]!;
        }

        /// <summary>Runs a prompt to its end and returns the frames this client received for it.</summary>
        public async Task<Run> RunAsync(JsonObject prompt)
        {
            string promptId = await SubmitAsync(prompt);
            return await CollectAsync(promptId);
        }

        public async Task<Run> CollectAsync(string promptId)
        {
            await _ws.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(120));
            var frames = _ws.Received.Skip(_seen).ToList();
            _seen = _ws.Received.Count;
            var history = (JsonObject)(await _server.GetJsonAsync($"history/{promptId}"))![promptId]!;
            return new Run(promptId, frames, history);
        }

        /// <summary>Waits for a frame (it stays in the received list for <see cref="CollectAsync"/>).</summary>
        public Task<WsFrame> WaitForAsync(Func<WsFrame, bool> match) => _ws.WaitForAsync(match, TimeSpan.FromSeconds(60));

        public ValueTask DisposeAsync() => _ws.DisposeAsync();
    }

    private sealed record Run(string PromptId, List<WsFrame> Frames, JsonObject History)
    {
        private IEnumerable<JsonObject> Of(string type) =>
            Frames.Where(f => f.Text is not null && f.Type == type && (string?)f.Data!["prompt_id"] == PromptId).Select(f => f.Data!);

        public List<string> Executing => [.. Of("executing").Where(d => d["node"] is not null).Select(d => (string)d["node"]!)];

        public List<string> Cached => [.. Of("execution_cached").Single()["nodes"]!.AsArray().Select(n => (string)n!)];

        public JsonObject? Error => Of("execution_error").FirstOrDefault();

        public IEnumerable<JsonObject> Messages(string type) => Of(type);

        public string StatusStr => (string)History["status"]!["status_str"]!;

        public List<string> StatusMessageTypes => [.. History["status"]!["messages"]!.AsArray().Select(m => (string)m![0]!)];
    }

    private static Task<ComfyTestServer> StartAsync(CacheOptions? cache = null) =>
        ComfyTestServer.StartAsync(s => s.Options = new ComfySharp.Server.ComfyServerOptions { Cache = cache ?? new CacheOptions() });

    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };

    private static JsonArray Link(string id, int slot = 0) => new(id, slot);

    private static JsonObject Image(string content, int size = 8) =>
        Node("StubImage", new JsonObject { ["content"] = content, ["height"] = size, ["width"] = size, ["batch_size"] = 1 });

    private static JsonObject Mask(double value, int size = 8) =>
        Node("StubMask", new JsonObject { ["value"] = value, ["height"] = size, ["width"] = size, ["batch_size"] = 1 });

    private static JsonObject Save(string from, string prefix = "pack") =>
        Node("SaveImage", new JsonObject { ["images"] = Link(from), ["filename_prefix"] = prefix });

    /// <summary>The 8-bit red value of the first pixel of every image an output node saved, fetched through /view.</summary>
    private static async Task<List<int>> SavedPixelsAsync(ComfyTestServer server, Run run, string nodeId)
    {
        var pixels = new List<int>();
        foreach (var image in run.History["outputs"]![nodeId]!["images"]!.AsArray())
        {
            string query = $"view?filename={Uri.EscapeDataString((string)image!["filename"]!)}&subfolder={Uri.EscapeDataString((string)image["subfolder"]!)}&type={image["type"]}";
            byte[] png = await server.Http.GetByteArrayAsync(query);
            using var bitmap = SKBitmap.Decode(png);
            pixels.Add(bitmap.GetPixel(0, 0).Red);
        }
        return pixels;
    }

    public static TheoryData<string> CacheConfigurations => ["default", "lru0", "lru100", "none"];

    private static CacheOptions CacheFor(string configuration) => configuration switch
    {
        "lru100" => new CacheOptions(CacheMode.Lru, LruSize: 100),
        "lru0" => new CacheOptions(CacheMode.Classic),
        "none" => new CacheOptions(CacheMode.None),
        _ => new CacheOptions(),
    };

    private static JsonObject LazyMix(double mask) => new()
    {
        ["1"] = Image("BLACK"),
        ["2"] = Image("WHITE"),
        ["3"] = Mask(mask),
        ["4"] = Node("TestLazyMixImages", new JsonObject { ["image1"] = Link("1"), ["image2"] = Link("2"), ["mask"] = Link("3") }),
        ["5"] = Save("4"),
    };

    [Theory]
    [MemberData(nameof(CacheConfigurations))]
    public async Task Lazy_branches_that_are_not_needed_never_run_and_reruns_follow_the_cache_policy(string configuration)
    {
        await using var server = await StartAsync(CacheFor(configuration));
        await using var client = await PackClient.ConnectAsync(server, "lazy");

        var first = await client.RunAsync(LazyMix(0.0));
        Assert.Equal("success", first.StatusStr);
        Assert.DoesNotContain("2", first.Executing);
        Assert.Equal([0], await SavedPixelsAsync(server, first, "5"));

        var again = await client.RunAsync(LazyMix(0.0));
        if (configuration == "none")
        {
            Assert.Empty(again.Cached);
            Assert.Equal(first.Executing.Order(), again.Executing.Order());
        }
        else
        {
            Assert.Equal(["1", "3", "4", "5"], again.Cached.Order());
            Assert.Empty(again.Executing);
        }

        // A mixing mask needs both inputs; the lazy node is executed twice (once to ask, once to run).
        var mixed = await client.RunAsync(LazyMix(0.5));
        Assert.Contains("2", mixed.Executing);
        Assert.Equal(2, mixed.Executing.Count(id => id == "4"));
        Assert.Equal([127], await SavedPixelsAsync(server, mixed, "5"));
    }

    [Fact]
    public async Task Changing_one_widget_reruns_only_what_depends_on_it()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "partial");
        await client.RunAsync(LazyMix(0.5));
        var changed = LazyMix(0.5);
        changed["3"]!["inputs"]!["value"] = 0.3;
        var rerun = await client.RunAsync(changed);
        Assert.Equal(["1", "2"], rerun.Cached.Order());
        Assert.Equal(["3", "4", "5"], rerun.Executing.Distinct());
        Assert.Equal([76], await SavedPixelsAsync(server, rerun, "5"));
    }

    [Fact]
    public async Task Lru_keeps_older_graphs_until_evicted_while_classic_keeps_only_the_latest()
    {
        JsonObject GraphA() => new() { ["1"] = Node("StubConstantImage", new JsonObject { ["value"] = 0.2, ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 }), ["2"] = Save("1", "a") };
        JsonObject GraphB() => new() { ["1"] = Node("StubConstantImage", new JsonObject { ["value"] = 0.8, ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 }), ["2"] = Save("1", "b") };

        foreach (var (cache, expectCachedA) in new[]
        {
            (new CacheOptions(CacheMode.Lru, LruSize: 100), true),
            (new CacheOptions(CacheMode.Classic), false),
            (new CacheOptions(CacheMode.Lru, LruSize: 1), false),
        })
        {
            await using var server = await StartAsync(cache);
            await using var client = await PackClient.ConnectAsync(server, "lru");
            await client.RunAsync(GraphA());
            await client.RunAsync(GraphB());
            var backToA = await client.RunAsync(GraphA());
            if (expectCachedA)
            {
                Assert.Equal(["1", "2"], backToA.Cached.Order());
                Assert.Empty(backToA.Executing);
            }
            else
            {
                Assert.Empty(backToA.Cached);
                Assert.Equal(["1", "2"], backToA.Executing);
            }
            Assert.Equal([51], await SavedPixelsAsync(server, backToA, "2"));
        }
    }

    [Fact]
    public async Task For_loop_expansion_runs_the_body_three_times_in_the_verified_order()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "loop");
        var graph = new JsonObject
        {
            ["1"] = Image("BLACK"),
            ["2"] = Image("WHITE"),
            ["3"] = Node("TestCustomIsChanged", new JsonObject { ["image"] = Link("2") }),
            ["4"] = Node("TestForLoopOpen", new JsonObject { ["remaining"] = 3, ["initial_value1"] = Link("3") }),
            ["5"] = Node("TestVariadicAverage", new JsonObject { ["input1"] = Link("1"), ["input2"] = Link("4", 2) }),
            ["6"] = Node("TestForLoopClose", new JsonObject { ["flow_control"] = Link("4"), ["initial_value1"] = Link("5") }),
            ["7"] = Save("6"),
        };
        var run = await client.RunAsync(graph);
        Assert.Equal("success", run.StatusStr);
        Assert.Equal(
        [
            "2", "3", "4", "1", "5", "6",
            "6.0.0.1", "6.0.0.2", "6.0.0.3",
            "6.0.0.3.0.0.4", "6.0.0.3.0.0.5", "6.0.0.3.0.0.6.0.0.1", "6.0.0.3.0.0.6.0.0.2", "6.0.0.3.0.0.Recurse",
            "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.4", "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.5",
            "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.6.0.0.1", "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.6.0.0.2",
            "6.0.0.3.0.0.Recurse.0.0.Recurse",
            "7",
        ], run.Executing);
        var display = run.Messages("executing").Where(d => (string?)d["node"] == "6.0.0.3.0.0.4").Select(d => (string)d["display_node"]!).Single();
        Assert.Equal("4", display);
        Assert.Equal([31], await SavedPixelsAsync(server, run, "7"));
    }

    [Fact]
    public async Task List_outputs_map_over_downstream_nodes_and_an_output_node_saves_one_file_per_element()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "lists");
        var graph = new JsonObject
        {
            ["1"] = Node("TestMakeListNode", new JsonObject { ["value1"] = 0.2, ["value2"] = 0.4, ["value3"] = 0.6 }),
            ["2"] = Node("StubConstantImage", new JsonObject { ["value"] = Link("1"), ["height"] = 8, ["width"] = 8, ["batch_size"] = 1 }),
            ["3"] = Save("2"),
        };
        var run = await client.RunAsync(graph);
        Assert.Equal("success", run.StatusStr);
        Assert.Equal([51, 102, 153], await SavedPixelsAsync(server, run, "3"));
        // Mapping runs the node once per element but reports it once.
        Assert.Equal(1, run.Executing.Count(id => id == "2"));
    }

    [Fact]
    public async Task Parallel_sleeps_inside_an_expansion_overlap_and_a_resubmission_is_served_from_cache()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "async");
        var graph = new JsonObject
        {
            ["1"] = Image("BLACK"),
            ["2"] = Image("WHITE"),
            ["3"] = Image("WHITE"),
            ["4"] = Node("TestParallelSleep", new JsonObject
            {
                ["image1"] = Link("1"), ["image2"] = Link("2"), ["image3"] = Link("3"),
                ["sleep1"] = 0.3, ["sleep2"] = 0.2, ["sleep3"] = 0.1,
            }),
            ["5"] = Save("4"),
        };
        var run = await client.RunAsync(graph);
        Assert.Equal("success", run.StatusStr);
        Assert.Equal(["4", "4.0.0.3", "4.0.0.2", "4.0.0.1", "4.0.0.4", "5"], run.Executing.Where(id => id is not ("1" or "2" or "3")));
        // Overlap without a clock: the longest sleep reports progress both before and after the shortest one has finished.
        var progressNodes = run.Messages("progress").Select(d => (string)d["node"]!).ToList();
        int shortLast = progressNodes.LastIndexOf("4.0.0.3");
        Assert.Contains("4.0.0.1", progressNodes.Take(shortLast));
        Assert.Contains("4.0.0.1", progressNodes.Skip(shortLast + 1));
        Assert.Equal([170], await SavedPixelsAsync(server, run, "5"));

        var again = await client.RunAsync(graph);
        Assert.Equal(["1", "2", "3", "4", "5"], again.Cached.Order());
        Assert.Empty(again.Executing);
        var executed = again.Messages("executed").ToDictionary(d => (string)d["node"]!);
        Assert.Null(executed["4"]["output"]);
        Assert.NotNull(executed["5"]["output"]);
    }

    [Fact]
    public async Task A_failing_node_is_recorded_with_its_error_and_the_next_prompt_runs()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "errors");
        var failing = new JsonObject
        {
            ["1"] = Image("BLACK"),
            ["2"] = Node("TestSyncError", new JsonObject { ["value"] = Link("1") }),
            ["3"] = Save("2"),
        };
        var run = await client.RunAsync(failing);
        Assert.Equal("error", run.StatusStr);
        var error = run.Error!;
        Assert.Equal("2", (string)error["node_id"]!);
        Assert.Equal("TestSyncError", (string)error["node_type"]!);
        Assert.Equal("Intentional sync execution error for testing\n", (string)error["exception_message"]!);
        Assert.Equal("RuntimeError", (string)error["exception_type"]!);
        Assert.Equal(["execution_start", "execution_cached", "execution_error"], run.StatusMessageTypes);

        var next = await client.RunAsync(LazyMix(1.0));
        Assert.Equal("success", next.StatusStr);
        Assert.Equal([255], await SavedPixelsAsync(server, next, "5"));
    }

    [Fact]
    public async Task An_interrupt_stops_the_sleeping_node_and_is_recorded_in_history()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "interrupt");
        var graph = new JsonObject
        {
            ["1"] = Image("BLACK"),
            ["2"] = Node("TestSleep", new JsonObject { ["value"] = Link("1"), ["seconds"] = 60.0 }),
            ["3"] = Save("2"),
        };
        string promptId = await client.SubmitAsync(graph);
        // Interrupt once the sleep is running: its first progress report has reached the client.
        await client.WaitForAsync(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == "2");
        using (var response = await server.PostJsonAsync("interrupt", new JsonObject()))
        {
            Assert.True(response.IsSuccessStatusCode);
        }
        var run = await client.CollectAsync(promptId);
        var interrupted = run.Messages("execution_interrupted").Single();
        Assert.Equal("2", (string)interrupted["node_id"]!);
        Assert.Equal("TestSleep", (string)interrupted["node_type"]!);
        Assert.Equal("error", run.StatusStr);
        Assert.Equal(["execution_start", "execution_cached", "execution_interrupted"], run.StatusMessageTypes);
        Assert.Empty(run.History["outputs"]!.AsObject());
    }

    [Fact]
    public async Task Progress_reaches_only_the_client_that_queued_the_prompt()
    {
        await using var server = await StartAsync();
        await using var owner = await PackClient.ConnectAsync(server, "owner");
        await using var other = await PackClient.ConnectAsync(server, "other");
        var graph = new JsonObject
        {
            ["1"] = Image("BLACK"),
            ["2"] = Node("TestSleep", new JsonObject { ["value"] = Link("1"), ["seconds"] = 0.1 }),
            ["3"] = Save("2"),
        };
        var run = await owner.RunAsync(graph);
        Assert.NotEmpty(run.Messages("progress_state"));
        Assert.NotEmpty(run.Messages("progress"));
        Assert.Contains(run.Messages("progress_state"), d => (string?)d["nodes"]?["2"]?["state"] == "finished");

        // The other client then runs its own prompt; everything it saw meanwhile must be free of the owner's prompt.
        var own = await other.RunAsync(LazyMix(0.0));
        var leaked = own.Frames.Where(f => f.Text is not null && f.Data?["prompt_id"] is JsonValue v && (string?)v == run.PromptId).ToList();
        Assert.Empty(leaked);
        Assert.All(own.Frames.Where(f => f.Type is "progress_state" or "progress"),
            f => Assert.Equal(own.PromptId, (string)f.Data!["prompt_id"]!));
    }

    [Fact]
    public async Task Invalid_output_next_to_a_valid_one_runs_the_valid_one_and_bad_graphs_get_400()
    {
        await using var server = await StartAsync();
        await using var client = await PackClient.ConnectAsync(server, "validation");
        var graph = LazyMix(1.0);
        graph["6"] = Node("SaveImage", new JsonObject { ["images"] = Link("99"), ["filename_prefix"] = "bad" });
        using (var response = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = graph, ["client_id"] = client.Id }))
        {
            var body = (JsonObject)(await ComfyTestServer.ReadJsonAsync(response))!;
            Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
            Assert.True(body["node_errors"]!.AsObject().ContainsKey("6"));
            var run = await client.CollectAsync((string)body["prompt_id"]!);
            Assert.Equal([255], await SavedPixelsAsync(server, run, "5"));
        }

        var cycle = new JsonObject
        {
            ["1"] = Node("TestVariadicAverage", new JsonObject { ["input1"] = Link("2") }),
            ["2"] = Node("TestVariadicAverage", new JsonObject { ["input1"] = Link("1") }),
            ["3"] = Save("2"),
        };
        using (var response = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = cycle }))
        {
            Assert.Equal(400, (int)response.StatusCode);
            var body = (JsonObject)(await ComfyTestServer.ReadJsonAsync(response))!;
            Assert.NotNull(body["error"]);
            Assert.NotNull(body["node_errors"]);
        }

        // The server keeps working afterwards.
        var after = await client.RunAsync(LazyMix(0.0));
        Assert.Equal("success", after.StatusStr);
    }
}
