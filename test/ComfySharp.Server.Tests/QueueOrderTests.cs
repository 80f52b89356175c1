using ComfySharp.Protocol;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class QueueOrderTests
{
    private sealed class RecordingSink : IExecutionMessageSink
    {
        public List<(string Type, JsonObject Data)> Messages { get; } = [];

        public void Send(string type, JsonObject data, MessageTarget target, string? clientId) => Messages.Add((type, data));

        public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
        {
        }

        public void SendText(string nodeId, string text)
        {
        }
    }

    private static QueuedPrompt Item(double number, string id) => new(number, true, id, [], [], ["1"]);

    [Fact]
    public async Task Pending_array_is_the_heapq_layout_of_the_reference()
    {
        // Expected arrays computed with Python's heapq for the same pushes, pop and delete.
        using var queue = new PromptQueue(new MemoryOnlyStore(), new RecordingSink());
        foreach (var (n, id) in new[] { (5.0, "a"), (3.0, "b"), (8.0, "c"), (1.0, "d"), (3.0, "a"), (-2.0, "e"), (7.0, "f") })
        {
            queue.Enqueue(Item(n, id));
        }
        Assert.Equal(["-2e", "3a", "1d", "5a", "3b", "8c", "7f"], Layout(queue));
        QueueEntry first = (await queue.TakeAsync(CancellationToken.None))!;
        Assert.Equal("e", first.Prompt.PromptId);
        Assert.Equal(["1d", "3a", "7f", "5a", "3b", "8c"], Layout(queue));
        queue.FinishRunning(first);
        Assert.True(queue.Delete("f"));
        Assert.Equal(["1d", "3a", "5a", "3b", "8c"], Layout(queue));
    }

    [Fact]
    public void Counter_advances_for_every_default_number_and_front_negates_it()
    {
        using var queue = new PromptQueue(new MemoryOnlyStore(), new RecordingSink());
        Assert.Equal(0, queue.NextNumber(front: false));
        Assert.Equal(1, queue.NextNumber(front: false));
        Assert.Equal(-2, queue.NextNumber(front: true));
        Assert.Equal(3, queue.NextNumber(front: false));
    }

    [Fact]
    public async Task Status_is_broadcast_on_every_change_and_counts_the_running_item()
    {
        var sink = new RecordingSink();
        using var queue = new PromptQueue(new MemoryOnlyStore(), sink);
        queue.Enqueue(Item(0, "a"));
        queue.Enqueue(Item(1, "b"));
        QueueEntry running = (await queue.TakeAsync(CancellationToken.None))!;
        Assert.Equal(2, queue.Remaining);
        queue.ClearPending();
        Assert.Equal(1, queue.Remaining);
        queue.FinishRunning(running);
        var counts = sink.Messages.Where(m => m.Type == "status").Select(m => (int)m.Data["status"]!["exec_info"]!["queue_remaining"]!).ToList();
        Assert.Equal([1, 2, 2, 1, 0], counts);
    }

    [Fact]
    public void History_keeps_at_most_one_more_than_the_cap_and_pages_like_the_reference()
    {
        var history = new PromptHistory(new MemoryOnlyStore());
        var record = new ExecutionRecord(ExecutionOutcome.Success, [], [], new JsonObject { ["status_str"] = "success", ["completed"] = true, ["messages"] = new JsonArray() });
        for (int i = 0; i < PromptHistory.MaxEntries + 3; i++)
        {
            history.Add(Item(i, $"p{i}"), record);
        }
        Assert.Equal(PromptHistory.MaxEntries + 1, history.Count);
        Assert.Null(history.Get("p0"));
        Assert.Equal(["p10001", "p10002"], history.Page(2, null).Select(kv => kv.Key));
        Assert.Equal(["p3", "p4"], history.Page(2, 1).Select(kv => kv.Key));
        Assert.Empty(history.Page(0, null));
        Assert.Empty(history.Page(null, 20000));
    }

    [Fact]
    public void History_order_survives_long_eviction_runs_deletes_and_replaced_ids()
    {
        var history = new PromptHistory(new MemoryOnlyStore());
        var record = new ExecutionRecord(ExecutionOutcome.Success, [], [], new JsonObject { ["status_str"] = "success", ["completed"] = true, ["messages"] = new JsonArray() });
        int total = (PromptHistory.MaxEntries * 2) + 500;
        for (int i = 0; i < total; i++)
        {
            history.Add(Item(i, $"p{i}"), record);
        }
        int first = total - PromptHistory.MaxEntries - 1;
        Assert.Equal(PromptHistory.MaxEntries + 1, history.Count);
        Assert.Equal([$"p{first}", $"p{first + 1}"], history.Page(2, 0).Select(kv => kv.Key));
        history.Delete($"p{first + 1}");
        history.Delete("never-there");
        // Re-adding an id keeps its place, as a dictionary assignment does in the reference.
        history.Add(Item(first + 2, $"p{first + 2}"), record);
        Assert.Equal([$"p{first}", $"p{first + 2}", $"p{first + 3}"], history.Page(3, 0).Select(kv => kv.Key));
        Assert.Equal(PromptHistory.MaxEntries, history.Count);
        history.Add(Item(total, "new"), record);
        history.Add(Item(total + 1, "newer"), record);
        Assert.Null(history.Get($"p{first}"));
        Assert.Equal([$"p{first + 2}"], history.Page(1, 0).Select(kv => kv.Key));
        Assert.Equal(["new", "newer"], history.Page(2, null).Select(kv => kv.Key));
        Assert.Equal(history.Count, history.All().Count);
        history.Clear();
        Assert.Equal(0, history.Count);
        history.Add(Item(0, "again"), record);
        Assert.Equal(["again"], history.Page(null, null).Select(kv => kv.Key));
    }

    [Fact]
    public void History_entries_read_back_exactly_as_they_were_built()
    {
        // Entries are held as text: what comes back must serialise byte for byte like the tree it was built
        // from (floats keep ".0", big and negative numbers, escapes, nesting, key order).
        var history = new PromptHistory(new MemoryOnlyStore());
        var prompt = (JsonObject)PythonJson.Parse("""{"3": {"class_type": "KSampler", "inputs": {"seed": 18446744073709551615, "cfg": 8.0, "denoise": 1, "steps": -2, "text": "caf\u00e9 \"q\"\n", "model": ["4", 0]}}}""")!;
        var item = new QueuedPrompt(7, false, "exact", prompt, new JsonObject { ["client_id"] = "c", ["extra_pnginfo"] = new JsonObject { ["w"] = 1.5 } }, ["3"]);
        var outputs = new JsonObject { ["9"] = new JsonObject { ["images"] = new JsonArray(new JsonObject { ["filename"] = "a.png", ["subfolder"] = "", ["type"] = "output" }) } };
        var status = new JsonObject { ["status_str"] = "success", ["completed"] = true, ["messages"] = new JsonArray(new JsonArray("execution_start", new JsonObject { ["prompt_id"] = "exact", ["timestamp"] = 1700000000000L })) };
        var meta = new JsonObject { ["9"] = new JsonObject { ["node_id"] = "9", ["display_node"] = "9", ["parent_node"] = null, ["real_node_id"] = "9" } };
        history.Add(item, new ExecutionRecord(ExecutionOutcome.Success, outputs, meta, status));

        var expected = new JsonObject
        {
            ["prompt"] = PromptQueue.Tuple(item),
            ["outputs"] = outputs.DeepClone(),
            ["status"] = status.DeepClone(),
            ["meta"] = meta.DeepClone(),
        };
        Assert.Equal(PythonJson.Serialize(expected), PythonJson.Serialize(history.Get("exact")));
        Assert.Equal(PythonJson.Serialize(new JsonObject { ["exact"] = expected.DeepClone() }), PythonJson.Serialize(history.Page(null, null)));
        Assert.Contains("\"cfg\": 8.0", PythonJson.Serialize(history.All()[0].Entry), StringComparison.Ordinal);
        // Every read is a fresh tree: changing one does not change the next.
        history.Get("exact")!["outputs"] = null;
        Assert.NotNull(history.Get("exact")!["outputs"]);
    }

    private static List<string> Layout(PromptQueue queue) =>
        queue.Snapshot().Pending.Select(p => $"{p.Number}{p.PromptId}").ToList();
}
