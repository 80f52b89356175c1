using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Storage.Postgres;
using Npgsql;
using Xunit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>The workers' side of the shared PostgreSQL queue: claim order, concurrent claims, leases, exactly-once completion.</summary>
public sealed class PostgresWorkQueueTests : IDisposable
{
    private static readonly TimeSpan LongLease = TimeSpan.FromSeconds(60);
    private readonly PostgresTestDatabase _database = PostgresTestDatabase.Create();
    private readonly PostgresPromptStore _store;
    private readonly PromptQueue _queue;

    public PostgresWorkQueueTests()
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
    public async Task Workers_claim_by_priority_then_number_then_arrival()
    {
        Submit("first", null);
        Submit("second", null);
        Submit("urgent", priority: 5);
        Submit("front", null, front: true);
        Submit("third", null);
        var work = new PostgresWorkQueue(_store.DataSource, "w1");
        var order = new List<string>();
        while (await work.ClaimAsync(LongLease, Token) is { } claim)
        {
            order.Add(claim.Prompt.PromptId);
        }
        Assert.Equal(["urgent", "front", "first", "second", "third"], order);
    }

    [Fact]
    public async Task Concurrent_workers_claim_every_prompt_exactly_once()
    {
        for (int i = 0; i < 200; i++)
        {
            Submit($"p{i}", null);
        }
        var claimed = new ConcurrentBag<(string Worker, string PromptId)>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var work = new PostgresWorkQueue(_store.DataSource, $"w{w}");
            while (await work.ClaimAsync(LongLease, Token) is { } claim)
            {
                claimed.Add((work.WorkerId, claim.Prompt.PromptId));
                Assert.True(await work.CompleteAsync(claim, Entry(claim.Prompt), Token));
            }
        })));
        Assert.Equal(200, claimed.Count);
        Assert.Equal(200, claimed.Select(c => c.PromptId).Distinct().Count());
        Assert.True(claimed.Select(c => c.Worker).Distinct().Count() > 1, "the claims were not spread over the workers");
        Assert.Equal(200, _store.LoadHistory().Count);
        Assert.Empty(_store.LoadQueue().Pending);
    }

    [Fact]
    public async Task An_expired_lease_is_retried_once_on_another_worker_then_recorded_failed_and_a_stale_completion_is_refused()
    {
        Submit("p", null);
        var dead = new PostgresWorkQueue(_store.DataSource, "dead");
        var other = new PostgresWorkQueue(_store.DataSource, "other");
        var reaper = new LeaseReaper(other, new RecordingSink(), maxAttempts: 2);
        ClaimedPrompt first = (await dead.ClaimAsync(TimeSpan.FromSeconds(3), Token))!;
        Assert.Empty(await reaper.ReapAsync(Token));
        await Task.Delay(3500, Token);
        LostPrompt requeued = Assert.Single(await reaper.ReapAsync(Token));
        Assert.True(requeued.Requeued);
        Assert.Equal("dead", requeued.Worker);

        ClaimedPrompt second = (await other.ClaimAsync(TimeSpan.FromSeconds(1), Token))!;
        Assert.Equal(2, second.Attempt);
        // The first worker comes back: its lease is gone, its result is not recorded.
        Assert.False(await dead.RenewAsync(first, LongLease, Token));
        Assert.False(await dead.CompleteAsync(first, Entry(first.Prompt), Token));
        await Task.Delay(1500, Token);
        var sink = new RecordingSink();
        LostPrompt failed = Assert.Single(await new LeaseReaper(dead, sink, maxAttempts: 2).ReapAsync(Token));
        Assert.False(failed.Requeued);
        Assert.False(await other.CompleteAsync(second, Entry(second.Prompt), Token));

        var (id, json) = Assert.Single(_store.LoadHistory());
        Assert.Equal("p", id);
        JsonObject entry = (JsonObject)PythonJson.Parse(json)!;
        Assert.Equal("error", (string)entry["status"]!["status_str"]!);
        JsonNode error = entry["status"]!["messages"]![0]![1]!;
        Assert.Equal(LeaseReaper.LostExceptionType, (string)error["exception_type"]!);
        Assert.Contains("'other'", (string)error["exception_message"]!, StringComparison.Ordinal);
        Assert.Equal([MessageTypes.ExecutionError, MessageTypes.Executing], sink.Types);
        Assert.Empty(_store.LoadQueue().Pending);
    }

    [Fact]
    public async Task A_renewed_lease_is_not_taken_back()
    {
        Submit("p", null);
        var work = new PostgresWorkQueue(_store.DataSource, "w");
        // Renewed every second under a 3 s lease: the whole test outlives the first lease twice over.
        ClaimedPrompt claim = (await work.ClaimAsync(TimeSpan.FromSeconds(3), Token))!;
        for (int i = 0; i < 6; i++)
        {
            await Task.Delay(1000, Token);
            Assert.True(await work.RenewAsync(claim, TimeSpan.FromSeconds(3), Token));
            Assert.Empty(await new LeaseReaper(work, new RecordingSink(), 2).ReapAsync(Token));
        }
        Assert.True(await work.CompleteAsync(claim, Entry(claim.Prompt), Token));
    }

    [Fact]
    public async Task Events_reach_a_listener_in_order_and_large_ones_travel_through_the_events_table()
    {
        await using var listener = new NotificationListener(_database.ConnectionString, EventEnvelope.Channel);
        await listener.Listening;
        await using (var publisher = new EventPublisher(_store.DataSource))
        {
            for (int i = 0; i < 50; i++)
            {
                publisher.Publish(new EventEnvelope("progress", new JsonObject { ["value"] = i, ["max"] = 50.0 }, MessageTarget.ClientOnly, "c1"));
            }
            publisher.Publish(new EventEnvelope("executed", new JsonObject { ["big"] = new string('x', 20000) }, MessageTarget.ClientOrAll, null));
        }
        var received = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await foreach (var (_, payload) in listener.ReadAllAsync(timeout.Token))
        {
            received.Add(payload);
            if (received.Count == 51)
            {
                break;
            }
        }
        var first = EventEnvelope.Parse(received[0])!;
        Assert.Equal(("progress", 0, MessageTarget.ClientOnly, "c1"), (first.Type, (int)first.Data["value"]!, first.Target, first.ClientId));
        Assert.Equal(Enumerable.Range(0, 50), received.Take(50).Select(p => (int)EventEnvelope.Parse(p)!.Data["value"]!));
        Assert.Equal("{\"value\": 3, \"max\": 50.0}", PythonJson.Serialize(EventEnvelope.Parse(received[3])!.Data));
        Assert.StartsWith("#", received[50], StringComparison.Ordinal);
        using NpgsqlCommand command = _store.DataSource.CreateCommand("SELECT payload FROM events WHERE id = $1;");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = long.Parse(received[50][1..], System.Globalization.CultureInfo.InvariantCulture) });
        EventEnvelope big = EventEnvelope.Parse((string)command.ExecuteScalar()!)!;
        Assert.Equal(20000, ((string)big.Data["big"]!).Length);
    }

    private void Submit(string id, double? priority, bool front = false)
    {
        var extra = new JsonObject { ["client_id"] = "c-" + id };
        if (priority is double p)
        {
            extra["priority"] = p;
        }
        _queue.Enqueue(new QueuedPrompt(_queue.NextNumber(front), false, id,
            new JsonObject { ["1"] = new JsonObject { ["class_type"] = "X", ["inputs"] = new JsonObject() } }, extra, ["1"]));
    }

    private static byte[] Entry(QueuedPrompt prompt) =>
        PromptHistory.EntryJson(prompt, new ExecutionRecord(ExecutionOutcome.Success, new JsonObject(), new JsonObject(), new JsonObject { ["status_str"] = "success" }));
}
