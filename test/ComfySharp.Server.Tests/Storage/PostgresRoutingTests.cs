using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Storage.Postgres;
using Xunit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>Routing beyond FIFO on the shared PostgreSQL queue: worker tags, model affinity, the workers' registry, the cluster view.</summary>
public sealed class PostgresRoutingTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    private readonly PostgresTestDatabase _database = PostgresTestDatabase.Create();
    private readonly PostgresPromptStore _store;
    private readonly PromptQueue _queue;

    public PostgresRoutingTests()
    {
        _store = new PostgresPromptStore(_database.ConnectionString, shared: true);
        _queue = new PromptQueue(_store, new RecordingSink());
    }

    public void Dispose()
    {
        _queue.Dispose();
        _store.Dispose();
        _database.Dispose();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void Prompt_routing_reads_tags_and_model_files()
    {
        Assert.Equal(["gpu24g", "sdxl"], PromptRouting.WorkerTags(new JsonObject { ["worker_tags"] = " SDXL,gpu24g,,sdxl " }));
        Assert.Equal(["a", "b"], PromptRouting.WorkerTags(new JsonObject { ["worker_tags"] = new JsonArray("b", "A") }));
        Assert.Empty(PromptRouting.WorkerTags(new JsonObject()));
        Assert.Throws<FormatException>(() => PromptRouting.WorkerTags(new JsonObject { ["worker_tags"] = new JsonArray("a", 1) }));
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "CheckpointLoaderSimple", ["inputs"] = new JsonObject { ["ckpt_name"] = "sd15/v1-5.safetensors" } },
            ["2"] = new JsonObject { ["class_type"] = "UNETLoader", ["inputs"] = new JsonObject { ["unet_name"] = "flux\\dev.safetensors", ["weight_dtype"] = "default" } },
            ["3"] = new JsonObject { ["class_type"] = "CheckpointLoaderSimple", ["inputs"] = new JsonObject { ["ckpt_name"] = new JsonArray("9", 0) } },
        };
        Assert.Equal(["dev.safetensors", "v1-5.safetensors"], PromptRouting.Models(prompt));
    }

    [Fact]
    public async Task Workers_take_only_prompts_whose_tags_they_all_have()
    {
        Submit("sdxl-only", tags: new JsonArray("sdxl"));
        Submit("anyone");
        Submit("big-sdxl", tags: "gpu24g,sdxl");
        var plain = new PostgresWorkQueue(_store.DataSource, "plain");
        var sdxl = new PostgresWorkQueue(_store.DataSource, "sdxl");
        var big = new PostgresWorkQueue(_store.DataSource, "big");
        Assert.Equal("anyone", (await plain.ClaimAsync(Lease, Token))?.Prompt.PromptId);
        Assert.Null(await plain.ClaimAsync(Lease, Token));
        var sdxlTags = new ClaimPreferences(["sdxl"], []);
        Assert.Equal("sdxl-only", (await sdxl.ClaimAsync(Lease, sdxlTags, Token))?.Prompt.PromptId);
        Assert.Null(await sdxl.ClaimAsync(Lease, sdxlTags, Token));
        Assert.Equal("big-sdxl", (await big.ClaimAsync(Lease, new ClaimPreferences(["gpu24g", "sdxl", "fast"], []), Token))?.Prompt.PromptId);
    }

    [Fact]
    public async Task A_worker_takes_first_the_prompts_whose_models_it_has_loaded_within_a_priority()
    {
        Submit("a1", model: "models/a.safetensors");
        Submit("b1", model: "b.safetensors");
        Submit("plain");
        Submit("a2", model: "a.safetensors");
        Submit("urgent-a", model: "a.safetensors", priority: 1);
        var work = new PostgresWorkQueue(_store.DataSource, "w");
        var loadedB = new ClaimPreferences([], ["b.safetensors"]);
        var order = new List<string>();
        while (await work.ClaimAsync(Lease, loadedB, Token) is { } claim)
        {
            order.Add(claim.Prompt.PromptId);
        }
        // Priority still comes first; then the loaded model; then arrival.
        Assert.Equal(["urgent-a", "b1", "a1", "plain", "a2"], order);
    }

    [Fact]
    public async Task A_prompt_is_left_to_an_idle_worker_holding_its_model_until_the_affinity_wait_ends()
    {
        var registry = new WorkerRegistry(_store.DataSource);
        await registry.BeatAsync(new WorkerBeat("holder", [], ["a.safetensors"], ["X"], null, 100, 50), Token);
        Submit("a", model: "a.safetensors");
        Submit("b", model: "b.safetensors");
        var other = new PostgresWorkQueue(_store.DataSource, "other");
        var patient = new ClaimPreferences([], []) { AffinityWait = TimeSpan.FromSeconds(60), LiveWithin = TimeSpan.FromSeconds(60) };
        Assert.Equal("b", (await other.ClaimAsync(Lease, patient, Token))?.Prompt.PromptId);
        Assert.Null(await other.ClaimAsync(Lease, patient, Token));
        // A holder that stopped beating is not live; a prompt that waited past the affinity wait goes to anyone.
        await Task.Delay(300, Token);
        Assert.Equal("a", (await other.ClaimAsync(Lease, patient with { AffinityWait = TimeSpan.FromMilliseconds(200) }, Token))?.Prompt.PromptId);

        // The holder's own claim marks it busy: then nothing is held back for it.
        Submit("a-again", model: "a.safetensors");
        var holder = new PostgresWorkQueue(_store.DataSource, "holder");
        Submit("a-third", model: "a.safetensors");
        Assert.Equal("a-again", (await holder.ClaimAsync(Lease, new ClaimPreferences([], ["a.safetensors"]), Token))?.Prompt.PromptId);
        Assert.Equal("a-third", (await other.ClaimAsync(Lease, patient, Token))?.Prompt.PromptId);
    }

    [Fact]
    public async Task The_registry_shows_live_workers_with_their_current_prompt_and_completions()
    {
        var registry = new WorkerRegistry(_store.DataSource);
        await registry.BeatAsync(new WorkerBeat("w1", ["sdxl"], ["a.safetensors"], ["KSampler", "SaveImage"], null, 1000, 400), Token);
        await registry.BeatAsync(new WorkerBeat("w2", [], [], ["SaveImage"], null, 1000, 900), Token);
        Submit("p");
        var work = new PostgresWorkQueue(_store.DataSource, "w1");
        ClaimedPrompt claim = (await work.ClaimAsync(Lease, Token))!;
        WorkerStatus w1 = (await registry.LiveAsync(TimeSpan.FromSeconds(30), Token))[0];
        Assert.Equal(("w1", "p", 0L), (w1.Beat.Id, w1.Beat.Running, w1.Completed));
        Assert.Equal(["sdxl"], w1.Beat.Tags);
        Assert.Equal(["KSampler", "SaveImage"], w1.Beat.NodeClasses);
        Assert.NotNull(w1.RunningSeconds);
        Assert.True(await work.CompleteAsync(claim, Entry(claim.Prompt), Token));
        IReadOnlyList<WorkerStatus> live = await registry.LiveAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal([("w1", (string?)null, 1L), ("w2", null, 0L)], live.Select(w => (w.Beat.Id, w.Beat.Running, w.Completed)));
        await registry.RemoveAsync("w2", Token);
        await Task.Delay(200, Token);
        Assert.Empty(await registry.LiveAsync(TimeSpan.FromMilliseconds(100), Token));
    }

    [Fact]
    public async Task Api_nodes_number_prompts_in_one_arrival_order()
    {
        using var otherStore = new PostgresPromptStore(_database.ConnectionString, shared: true);
        using var otherNode = new PromptQueue(otherStore, new RecordingSink());
        Assert.Equal([0L, 1L, -2L, 3L], new[] { _queue.NextNumber(false), otherNode.NextNumber(false), _queue.NextNumber(true), otherNode.NextNumber(false) });
        Submit("here");
        otherNode.Enqueue(new QueuedPrompt(otherNode.NextNumber(false), false, "there",
            new JsonObject { ["1"] = new JsonObject { ["class_type"] = "X", ["inputs"] = new JsonObject() } }, new JsonObject(), ["1"]));
        Submit("here-again");
        var (_, pending) = await new ClusterQueue(_store.DataSource).SnapshotAsync(Token);
        Assert.Equal(["here", "there", "here-again"], pending.Select(p => p.Prompt.PromptId));
    }

    [Fact]
    public async Task The_cluster_view_lists_running_prompts_with_their_worker_and_pending_ones_in_claim_order()
    {
        Submit("p1");
        Submit("p2");
        Submit("urgent", priority: 3);
        Submit("p3");
        var cluster = new ClusterQueue(_store.DataSource);
        ClaimedPrompt claim = (await new PostgresWorkQueue(_store.DataSource, "w9").ClaimAsync(Lease, Token))!;
        Assert.Equal("urgent", claim.Prompt.PromptId);
        var (running, pending) = await cluster.SnapshotAsync(Token);
        Assert.Equal([("urgent", (string?)"w9")], running.Select(r => (r.Prompt.PromptId, r.Worker)));
        Assert.Equal(["p1", "p2", "p3"], pending.Select(p => p.Prompt.PromptId));
        Assert.Equal(4, await cluster.CountAsync(Token));
        Assert.False(await cluster.DeletePendingAsync("urgent", Token));
        Assert.True(await cluster.DeletePendingAsync("p2", Token));
        Assert.Equal("w9", (await cluster.FindAsync("urgent", Token))?.Worker);
        Assert.Null(await cluster.FindAsync("p2", Token));
        Assert.Equal(2, await cluster.ClearPendingAsync(Token));
        Assert.Equal(1, await cluster.CountAsync(Token));
    }

    [Fact]
    public async Task An_interrupt_from_an_api_node_stops_the_prompt_on_the_worker_running_it()
    {
        Submit("long");
        var runner = new BlockingRunner();
        var worker = new ClaimingWorker(new PostgresWorkQueue(_store.DataSource, "w"), runner, new RecordingSink(), new ClaimingWorkerOptions(Lease, 2));
        await using var listener = new NotificationListener(_database.ConnectionString, ControlMessage.Channel);
        await listener.Listening;
        worker.Start();
        await runner.Started.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal("long", worker.RunningPromptId);
        var cluster = new ClusterQueue(_store.DataSource);
        await cluster.InterruptAsync("another", Token);
        await cluster.InterruptAsync("long", Token);
        await foreach (var (_, payload) in listener.ReadAllAsync(Token))
        {
            // What the worker service does with each control message.
            ControlMessage control = ControlMessage.Parse(payload)!;
            worker.Interrupt(control.PromptId);
            if (control.PromptId == "long")
            {
                break;
            }
            Assert.False(runner.Interrupted.Task.IsCompleted);
        }
        await runner.Interrupted.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (_store.HistoryEntry("long") is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }
        Assert.Contains("interrupted-by-test", System.Text.Encoding.UTF8.GetString(_store.HistoryEntry("long")!), StringComparison.Ordinal);
        await worker.DisposeAsync();
    }

    private void Submit(string id, double? priority = null, JsonNode? tags = null, string? model = null)
    {
        var extra = new JsonObject { ["client_id"] = "c-" + id };
        if (priority is double p)
        {
            extra["priority"] = p;
        }
        if (tags is not null)
        {
            extra["worker_tags"] = tags;
        }
        var prompt = new JsonObject { ["1"] = new JsonObject { ["class_type"] = "X", ["inputs"] = new JsonObject() } };
        if (model is not null)
        {
            prompt["2"] = new JsonObject { ["class_type"] = "CheckpointLoaderSimple", ["inputs"] = new JsonObject { ["ckpt_name"] = model } };
        }
        _queue.Enqueue(new QueuedPrompt(_queue.NextNumber(false), false, id, prompt, extra, ["1"]));
    }

    private static byte[] Entry(QueuedPrompt prompt) =>
        PromptHistory.EntryJson(prompt, new ExecutionRecord(ExecutionOutcome.Success, new JsonObject(), new JsonObject(), new JsonObject { ["status_str"] = "success" }));

    /// <summary>Runs until its token is cancelled, then records the interruption the way the executor does (outcome Interrupted).</summary>
    private sealed class BlockingRunner : IPromptRunner
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Interrupted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public (string DisplayNodeId, string? ClientId)? Current => null;

        public void ClearCaches()
        {
        }

        public async Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
        {
            Started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, interrupt);
            }
            catch (OperationCanceledException)
            {
                Interrupted.TrySetResult();
            }
            return new ExecutionRecord(ExecutionOutcome.Interrupted, new JsonObject(), new JsonObject(),
                new JsonObject { ["status_str"] = "error", ["completed"] = false, ["messages"] = new JsonArray(new JsonArray("interrupted-by-test", new JsonObject())) });
        }
    }
}
