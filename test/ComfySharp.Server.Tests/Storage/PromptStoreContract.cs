using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using Xunit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>
/// What every queue/history store promises, run against each backend (SQLite, PostgreSQL): items and
/// entries survive a restart (a new store on the same database), in order, with their exact JSON.
/// </summary>
/// <typeparam name="TStore">The backend's store.</typeparam>
public abstract class PromptStoreContract<TStore> : IDisposable
    where TStore : IQueueStore, IHistoryStore, IDisposable
{
    private long _proposed;

    /// <summary>A store of this backend on the test's database (a second call = the process restarted).</summary>
    protected abstract TStore Open();

    /// <summary>Commits what the store may still hold back (SQLite's background writer).</summary>
    protected virtual void Settle(TStore store)
    {
    }

    /// <summary>Releases the test's database.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the test's database.</summary>
    protected abstract void Dispose(bool disposing);

    [Fact]
    public void Pending_items_survive_a_restart_in_order_with_their_exact_json()
    {
        using (TStore store = Open())
        {
            store.AddPending(Entry(store, 3, "c", priority: null, isFloat: true));
            store.AddPending(Entry(store, 1, "a", priority: 2));
            store.AddPending(Entry(store, 2, "b", priority: null));
        }
        using TStore reopened = Open();
        var (pending, running) = reopened.LoadQueue();
        Assert.Empty(running);
        Assert.Equal(["c", "a", "b"], pending.Select(e => e.Prompt.PromptId));
        QueueEntry c = pending[0];
        Assert.True(c.Prompt.NumberIsFloat);
        Assert.Equal(3.0, c.Prompt.Number);
        Assert.Equal("{\"1\": {\"class_type\": \"X\", \"inputs\": {\"f\": 1.0, \"s\": \"\\u00e9\"}}}", PythonJson.Serialize(c.Prompt.Prompt));
        Assert.Equal(2.0, pending[1].Priority);
        Assert.Equal("client-a", pending[1].Prompt.ClientId);
        Assert.Equal(["1"], c.Prompt.OutputsToExecute);
    }

    [Fact]
    public void A_running_item_is_found_running_after_a_restart_and_a_removed_one_is_gone()
    {
        long running;
        using (TStore store = Open())
        {
            QueueEntry a = Entry(store, 1, "a", null);
            QueueEntry b = Entry(store, 2, "b", null);
            store.AddPending(a);
            store.AddPending(b);
            store.AddPending(Entry(store, 3, "c", null));
            store.MarkRunning(a.Sequence);
            store.RemoveQueued(b.Sequence);
            running = a.Sequence;
        }
        using TStore reopened = Open();
        var (pending, runningItems) = reopened.LoadQueue();
        Assert.Equal(["c"], pending.Select(e => e.Prompt.PromptId));
        Assert.Equal([running], runningItems.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_restored_queue_runs_by_priority_then_number()
    {
        using (TStore store = Open())
        {
            store.AddPending(Entry(store, 5, "low-first", null));
            store.AddPending(Entry(store, 1, "low-second", -1));
            store.AddPending(Entry(store, 9, "high", 10));
            store.AddPending(Entry(store, 2, "low-third", null));
        }
        using TStore reopened = Open();
        using var queue = new PromptQueue(reopened, new NullSink());
        var order = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            QueueEntry taken = (await queue.TakeAsync(TestContext.Current.CancellationToken))!;
            order.Add(taken.Prompt.PromptId);
            queue.FinishRunning(taken);
        }
        Assert.Equal(["high", "low-third", "low-first", "low-second"], order);
        // A new prompt queues behind the restored ones.
        Assert.True(queue.NextNumber(front: false) > 5);
    }

    [Fact]
    public void History_survives_a_restart_in_insertion_order_and_a_replaced_entry_keeps_its_place()
    {
        using (TStore store = Open())
        {
            store.PutHistory("a", Json(new JsonObject { ["n"] = 1 }));
            store.PutHistory("b", Json(new JsonObject { ["n"] = 2.5 }));
            store.PutHistory("c", Json(new JsonObject { ["n"] = 3 }));
            store.PutHistory("a", Json(new JsonObject { ["n"] = 4 }));
            store.DeleteHistory("c");
            store.DeleteHistory("unknown");
        }
        using (TStore reopened = Open())
        {
            var history = reopened.LoadHistory();
            Assert.Equal(["a", "b"], history.Select(h => h.PromptId));
            Assert.Equal("{\"n\": 4}", System.Text.Encoding.UTF8.GetString(history[0].EntryJson));
            Assert.Equal("{\"n\": 2.5}", System.Text.Encoding.UTF8.GetString(history[1].EntryJson));
            reopened.ClearHistory();
        }
        using TStore cleared = Open();
        Assert.Empty(cleared.LoadHistory());
    }

    [Fact]
    public void A_history_kept_through_PromptHistory_reads_back_after_a_restart()
    {
        QueuedPrompt prompt = Prompt(1, "p1", null, false);
        using (TStore store = Open())
        {
            var history = new PromptHistory(store);
            history.Add(prompt, QueueWorker.FailedRecord(prompt, "Boom", "it broke"));
            Settle(store);
        }
        using TStore reopened = Open();
        JsonObject entry = new PromptHistory(reopened).Get("p1")!;
        Assert.Equal("error", (string)entry["status"]!["status_str"]!);
        Assert.Equal("p1", (string)entry["prompt"]![1]!);
    }

    // Sequences follow insertion, as the queue hands them out.
    private QueueEntry Entry(IQueueStore store, double number, string id, double? priority, bool isFloat = false) =>
        new(store.NextSequence(++_proposed), Prompt(number, id, priority, isFloat));

    private static QueuedPrompt Prompt(double number, string id, double? priority, bool isFloat)
    {
        var extra = new JsonObject { ["client_id"] = "client-" + id };
        if (priority is double p)
        {
            extra["priority"] = p;
        }
        return new QueuedPrompt(number, isFloat, id,
            new JsonObject { ["1"] = new JsonObject { ["class_type"] = "X", ["inputs"] = new JsonObject { ["f"] = 1.0, ["s"] = "é" } } },
            extra, ["1"]);
    }

    private static byte[] Json(JsonObject o) => PythonJson.SerializeToUtf8(o);

    private sealed class NullSink : IExecutionMessageSink
    {
        public void Send(string type, JsonObject data, MessageTarget target, string? clientId)
        {
        }

        public void SendPreview(PreviewImage image, PreviewOrigin origin, string? clientId)
        {
        }

        public void SendText(string nodeId, string text)
        {
        }
    }
}
