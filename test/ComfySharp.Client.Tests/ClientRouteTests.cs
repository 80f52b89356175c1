using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Client.Tests;

public sealed class ClientRouteTests
{
    [Fact]
    public async Task Run_queues_waits_and_downloads_the_saved_image()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        string outDir = TestPaths.NewTempDirectory("client-out");
        var events = new List<ComfyEvent>();
        RunResult result = await client.RunAsync(Servers.SaveGraph(), new RunOptions { DownloadDirectory = outDir, OnEvent = e => { lock (events) { events.Add(e); } } });
        Assert.True(result.Succeeded);
        string file = Assert.Single(result.DownloadedFiles);
        Assert.Equal(Path.Combine(outDir, "client", "test_00001_.png"), file);
        byte[] bytes = await File.ReadAllBytesAsync(file);
        Assert.Equal([0x89, 0x50, 0x4e, 0x47], bytes[..4]);
        Assert.Equal(bytes, await client.ViewAsync(result.History.Files[0]));
        Assert.Contains(events, e => e is ExecutionStartEvent s && s.Id == result.PromptId);
        Assert.Contains(events, e => e is ExecutedEvent { Node: "2" });
        Assert.Contains(events, e => e is ExecutionSuccessEvent);
        Assert.Contains(events, e => e is ExecutingEvent { Node: null });

        // Same graph again: everything cached, no new file, same outputs.
        RunResult again = await client.RunAsync(Servers.SaveGraph());
        Assert.Equal(result.History.Files, again.History.Files);
    }

    [Fact]
    public async Task Rejected_prompt_throws_with_node_errors()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        JsonObject graph = Servers.SaveGraph(width: 0);
        ComfyPromptException error = await Assert.ThrowsAsync<ComfyPromptException>(() => client.QueuePromptAsync(graph));
        Assert.Equal("prompt_outputs_failed_validation", error.ErrorType);
        Assert.True(error.NodeErrors.ContainsKey("1"));
        Assert.Contains("smaller than min", error.Message, StringComparison.Ordinal);

        var unknown = new JsonObject { ["1"] = new JsonObject { ["class_type"] = "NoSuchNode", ["inputs"] = new JsonObject() } };
        ComfyPromptException missing = await Assert.ThrowsAsync<ComfyPromptException>(() => client.QueuePromptAsync(unknown));
        Assert.Equal("invalid_prompt", missing.ErrorType);
    }

    [Fact]
    public async Task Queue_history_and_jobs_routes()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        QueuedPromptInfo sleeper = await client.QueuePromptAsync(Servers.SleepGraph(60));
        await Servers.WaitAsync(async () => (await client.GetQueueAsync()).Running.Count == 1);
        QueuedPromptInfo second = await client.QueuePromptAsync(Servers.SaveGraph("q/a"));
        QueuedPromptInfo third = await client.QueuePromptAsync(Servers.SaveGraph("q/b"), promptId: "my-id");
        QueueState queue = await client.GetQueueAsync();
        Assert.Equal(sleeper.PromptId, Assert.Single(queue.Running).PromptId);
        Assert.Equal([second.PromptId, "my-id"], queue.Pending.Select(i => i.PromptId));
        Assert.Equal(["2"], queue.Pending[0].OutputsToExecute);
        Assert.Equal(3, await client.GetQueueRemainingAsync());

        JobsPage pending = await client.GetJobsAsync(new JobsQuery { Status = ["pending"] });
        Assert.Equal(2, pending.Total);
        Assert.Equal("in_progress", (await client.GetJobAsync(sleeper.PromptId))!.Status);
        Assert.Null(await client.GetJobAsync("nope"));
        await Assert.ThrowsAsync<ComfyClientException>(() => client.GetJobsAsync(new JobsQuery { SortBy = "bogus" }));

        await client.DeleteFromQueueAsync([second.PromptId]);
        Assert.Equal(["my-id"], (await client.GetQueueAsync()).Pending.Select(i => i.PromptId));
        await client.ClearQueueAsync();
        Assert.Empty((await client.GetQueueAsync()).Pending);

        await client.InterruptAsync("not-running");
        Assert.Single((await client.GetQueueAsync()).Running);
        await client.InterruptAsync(sleeper.PromptId);
        await Servers.WaitAsync(async () => await client.GetHistoryAsync(sleeper.PromptId) is not null);
        HistoryEntry interrupted = (await client.GetHistoryAsync(sleeper.PromptId))!;
        Assert.True(interrupted.Interrupted);
        Assert.Equal("error", interrupted.StatusString);
        Assert.Equal("failed", (await client.GetJobAsync(sleeper.PromptId))!.Status);

        RunResult a = await client.RunAsync(Servers.SaveGraph("h/a"));
        RunResult b = await client.RunAsync(Servers.SaveGraph("h/b", "BLACK"));
        Assert.Equal([sleeper.PromptId, a.PromptId, b.PromptId], (await client.GetHistoryAsync()).Select(h => h.PromptId));
        Assert.Equal([b.PromptId], (await client.GetHistoryAsync(maxItems: 1)).Select(h => h.PromptId));
        Assert.Equal([a.PromptId], (await client.GetHistoryAsync(maxItems: 1, offset: 1)).Select(h => h.PromptId));
        JobsPage completed = await client.GetJobsAsync(new JobsQuery { Status = ["completed"], SortOrder = "asc", Limit = 1 });
        Assert.Equal(a.PromptId, Assert.Single(completed.Jobs).Id);
        Assert.True(completed.HasMore);
        await client.DeleteHistoryAsync([a.PromptId]);
        Assert.Null(await client.GetHistoryAsync(a.PromptId));
        await client.ClearHistoryAsync();
        Assert.Empty(await client.GetHistoryAsync());
        await client.FreeAsync(unloadModels: true, freeMemory: true);
    }

    [Fact]
    public async Task File_and_introspection_routes()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        RunResult run = await client.RunAsync(Servers.SaveGraph("files/img"));
        byte[] png = await client.ViewAsync(run.History.Files[0]);

        ImageRef first = await client.UploadImageAsync(new MemoryStream(png), "up.png");
        Assert.Equal(new ImageRef("up.png", "", "input"), first);
        Assert.Equal("up.png", (await client.UploadImageAsync(new MemoryStream(png), "up.png")).Filename);
        Assert.Equal("up (1).png", (await client.UploadImageAsync(new MemoryStream([.. png, 0]), "up.png")).Filename);
        Assert.Equal(png, await client.ViewAsync(first));
        ImageRef mask = await client.UploadMaskAsync(new MemoryStream(png), "mask.png", first, subfolder: "clipspace");
        Assert.Equal(new ImageRef("mask.png", "clipspace", "input"), mask);
        Assert.True(File.Exists(Path.Combine(server.Directories.Input, "clipspace", "mask.png")));
        ComfyClientException missing = await Assert.ThrowsAsync<ComfyClientException>(() => client.ViewAsync(new ImageRef("nothing.png")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(await client.GetViewMetadataAsync("checkpoints", "none.safetensors"));

        JsonObject all = await client.GetObjectInfoAsync();
        Assert.True(all.ContainsKey("SaveImage"));
        JsonObject? one = await client.GetObjectInfoAsync("StubImage");
        Assert.Equal("WHITE", (string)one!["input"]!["required"]!["content"]![0]![0]!);
        Assert.Null(await client.GetObjectInfoAsync("NoSuchNode"));
        Assert.Contains("checkpoints", await client.GetModelFoldersAsync());
        Assert.Empty(await client.GetModelsAsync("checkpoints"));
        Assert.Empty(await client.GetModelsAsync("not-a-folder"));
        Assert.Empty(await client.GetEmbeddingsAsync());
        Assert.NotNull(await client.GetExtensionsAsync());
        Assert.NotNull((await client.GetSystemStatsAsync())["system"]?["comfyui_version"]);
        Assert.True((bool)(await client.GetFeaturesAsync())["supports_preview_metadata"]!);
    }

    [Fact]
    public async Task Settings_users_and_userdata_routes()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        await client.SetSettingsAsync(new JsonObject { ["Comfy.A"] = 1, ["Comfy.B"] = "x" });
        await client.SetSettingAsync("Comfy.C", new JsonArray(1, 2));
        JsonObject settings = await client.GetSettingsAsync();
        Assert.Equal(["Comfy.A", "Comfy.B", "Comfy.C"], settings.Select(p => p.Key));
        Assert.Equal("x", (string)(await client.GetSettingAsync("Comfy.B"))!);
        Assert.Null(await client.GetSettingAsync("Comfy.Missing"));
        Assert.Equal("server", (string)(await client.GetUsersAsync())["storage"]!);

        Assert.Equal("workflows/a.json", await client.PutUserDataAsync("workflows/a.json", Encoding.UTF8.GetBytes("{}")));
        Assert.Equal("{}", Encoding.UTF8.GetString((await client.GetUserDataAsync("workflows/a.json"))!));
        Assert.Equal(["a.json"], await client.ListUserDataAsync("workflows"));
        Assert.True(await client.DeleteUserDataAsync("workflows/a.json"));
        Assert.False(await client.DeleteUserDataAsync("workflows/a.json"));
        Assert.Null(await client.GetUserDataAsync("workflows/a.json"));
    }

    [Fact]
    public async Task Event_stream_announces_flags_and_delivers_progress_and_interrupt()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        using ComfyClient client = Servers.Client(server);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using IAsyncEnumerator<ComfyEvent> stream = client.StreamEventsAsync(sendFeatureFlags: true, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal(client.ClientId, Assert.IsType<StatusEvent>(stream.Current).Sid);
        Assert.True(await stream.MoveNextAsync());
        Assert.True((bool)Assert.IsType<FeatureFlagsEvent>(stream.Current).Flags["supports_preview_metadata"]!);

        QueuedPromptInfo queued = await client.QueuePromptAsync(Servers.SleepGraph(30));
        var seen = new List<ComfyEvent>();
        bool interruptSent = false;
        while (await stream.MoveNextAsync())
        {
            seen.Add(stream.Current);
            if (!interruptSent && stream.Current is ProgressEvent { Node: "2" })
            {
                await client.InterruptAsync();
                interruptSent = true;
            }
            if (stream.Current is ExecutingEvent { Node: null } end && end.PromptId == queued.PromptId)
            {
                break;
            }
        }
        Assert.True(interruptSent);
        Assert.Contains(seen, e => e is ExecutingEvent { Node: "2", DisplayNode: "2" });
        Assert.Contains(seen, e => e is ProgressStateEvent p && p.Nodes.ContainsKey("2"));
        ExecutionInterruptedEvent interrupted = seen.OfType<ExecutionInterruptedEvent>().Single();
        Assert.Equal(("2", "TestSleep"), (interrupted.NodeId, interrupted.NodeType));
    }

    [Fact]
    public async Task Run_survives_a_server_restart_and_still_gets_its_outputs()
    {
        string baseDirectory = TestPaths.NewTempDirectory("client-restart");
        try
        {
            ComfyTestServer server = await Servers.StartAsync(baseDirectory);
            try
            {
                await using var forwarder = new TcpForwarder(server.BaseAddress.Port);
                using (ComfyClient direct = Servers.Client(server))
                {
                    await direct.QueuePromptAsync(Servers.SleepGraph(60));
                    await Servers.WaitAsync(async () => (await direct.GetQueueAsync()).Running.Count == 1);
                }
                using var client = new ComfyClient(forwarder.Address, new ComfyClientOptions { ReconnectDelay = TimeSpan.FromMilliseconds(50), MaxReconnectAttempts = 30, MaxReconnectDelay = TimeSpan.FromSeconds(1) });
                string outDir = TestPaths.NewTempDirectory("client-restart-out");
                var events = new List<ComfyEvent>();
                Task<RunResult> run = client.RunAsync(Servers.SaveGraph("restart/img"), new RunOptions
                {
                    DownloadDirectory = outDir,
                    ResyncInterval = TimeSpan.FromSeconds(1),
                    OnEvent = e => { lock (events) { events.Add(e); } },
                });
                await Servers.WaitAsync(async () => (await client.GetQueueAsync()).Pending.Count == 1);

                await server.RestartAsync();
                forwarder.TargetPort = server.BaseAddress.Port;

                RunResult result = await run.WaitAsync(TimeSpan.FromSeconds(90));
                Assert.True(result.Succeeded);
                Assert.True(File.Exists(Assert.Single(result.DownloadedFiles)));
                Assert.StartsWith("img_", Path.GetFileName(result.DownloadedFiles[0]), StringComparison.Ordinal);
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Bearer_token_is_sent_on_http_and_the_websocket()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        var seen = new List<string?>();
        using var forwarderHandler = new RecordingHandler(seen);
        using var http = new HttpClient(forwarderHandler);
        using var client = new ComfyClient(server.BaseAddress, new ComfyClientOptions { Token = "secret", HttpClient = http });
        await client.GetQueueRemainingAsync();
        Assert.Equal(["Bearer secret"], seen);
        using System.Net.WebSockets.ClientWebSocket socket = await client.ConnectSocketAsync();
        Assert.IsType<StatusEvent>(await ComfyClient.ReceiveAsync(socket));
    }

    private sealed class RecordingHandler(List<string?> seen) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.Authorization?.ToString());
            return base.SendAsync(request, cancellationToken);
        }
    }
}
