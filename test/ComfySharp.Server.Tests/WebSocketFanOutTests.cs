using ComfySharp.Server.Tests.Support;
using ComfySharp.Server.WebSockets;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>
/// Outbox behaviour under fan-out: a socket whose sender is held (the test seam stands in for a slow
/// reader, deterministically) gets superseded queue <c>status</c> frames dropped, never anything else.
/// </summary>
public sealed class WebSocketFanOutTests
{
    // What a client receives for one SaveGraph prompt of the stand-in runner, status frames left out.
    private static readonly string[] PromptEvents =
    [
        "execution_start", "execution_cached",
        "progress_state", "executing", "progress_state",
        "progress_state", "executing", "executed", "progress_state",
        "execution_success", "executing",
    ];

    [Fact]
    public async Task A_slow_client_gets_every_event_of_its_prompts_in_order_and_only_the_newest_status()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        ClientHub hub = server.Services.GetRequiredService<ClientHub>();
        await using ComfyWebSocketClient slow = await ConnectedAsync(server, "slow");
        await using ComfyWebSocketClient other = await ConnectedAsync(server, "other");

        List<string> ids;
        using (hub.Connection("slow")!.HoldSending())
        {
            // Another client's whole run: only three status broadcasts reach the held socket.
            string foreign = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "other"))["prompt_id"]!;
            await other.WaitForCompletionAsync(foreign);
            ids = [];
            for (int i = 0; i < 3; i++)
            {
                ids.Add((string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "slow"))["prompt_id"]!);
            }
            await StandInServer.WaitForHistoryAsync(server, ids[^1]);
            Assert.Empty(slow.Received.Skip(1));
        }
        await slow.WaitForCompletionAsync(ids[^1]);

        List<WsFrame> frames = slow.Received.Skip(1).ToList();
        Assert.Equal([.. Enumerable.Repeat(PromptEvents, 3).SelectMany(e => e)], frames.Where(f => f.Type != "status").Select(f => f.Type));
        Assert.Equal([.. ids.SelectMany(id => Enumerable.Repeat(id, PromptEvents.Length))],
            frames.Where(f => f.Type != "status").Select(f => (string)f.Data!["prompt_id"]!));
        // The foreign run's statuses and the first prompt's "queued" and "taken" were adjacent and unsent: one frame.
        Assert.Equal("status", frames[0].Type);
        Assert.Equal("execution_start", frames[1].Type);
        Assert.DoesNotContain(frames.Zip(frames.Skip(1)), pair => pair.First.Type == "status" && pair.Second.Type == "status");
        WsFrame lastStatus = frames.Last(f => f.Type == "status");
        Assert.Equal(0, (int)lastStatus.Data!["status"]!["exec_info"]!["queue_remaining"]!);
        Assert.Equal("executing", frames[^1].Type);
        Assert.Same(lastStatus, frames[^2]);
    }

    [Fact]
    public async Task A_lone_socket_receives_every_status_even_while_it_is_behind()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        ClientHub hub = server.Services.GetRequiredService<ClientHub>();
        await using ComfyWebSocketClient ws = await ConnectedAsync(server, "solo");
        string id;
        using (hub.Connection("solo")!.HoldSending())
        {
            id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "solo"))["prompt_id"]!;
            await StandInServer.WaitForHistoryAsync(server, id);
            Assert.Empty(ws.Received.Skip(1));
        }
        await ws.WaitForCompletionAsync(id);
        Assert.Equal(["status", "status", .. PromptEvents[..^1], "status", "executing"], ws.Received.Skip(1).Select(f => f.Type));
        Assert.Equal([1, 1, 0], ws.Received.Skip(1).Where(f => f.Type == "status").Select(f => (int)f.Data!["status"]!["exec_info"]!["queue_remaining"]!));
    }

    [Fact]
    public async Task Without_supersede_a_held_outbox_keeps_every_frame_and_with_it_only_the_newest_trailing_status()
    {
        List<int> numbers = await NumbersSentAfterHoldingAsync(connection =>
        {
            connection.EnqueueStatus(Status(1), supersede: false);
            connection.EnqueueStatus(Status(2), supersede: true);
            connection.EnqueueStatus(Status(3), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"other\", \"n\": 4}", status: false));
            connection.EnqueueStatus(Status(5), supersede: true);
            connection.EnqueueStatus(Status(6), supersede: false);
            connection.EnqueueStatus(Status(7), supersede: true);
        });
        Assert.Equal([3, 4, 5, 7], numbers);
    }

    [Fact]
    public async Task A_message_is_preceded_by_the_newest_status_the_socket_has_not_had()
    {
        List<int> numbers = await NumbersSentAfterHoldingAsync(connection =>
        {
            connection.EnqueueStatus(Status(1), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"other\", \"n\": 2}", status: false), Status(1));
            connection.Enqueue(Frame("{\"type\": \"other\", \"n\": 3}", status: false), Status(5));
            connection.EnqueueStatus(Status(4), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"other\", \"n\": 6}", status: false), Status(5));
        });
        // Status 1 was already queued before 2; 5 came ahead of 3; 4 is older than 5, and 6 owed nothing.
        Assert.Equal([1, 2, 5, 3, 6], numbers);
    }

    /// <summary>
    /// Queues frames on the held outbox of a real socket, releases it, and returns the <c>n</c> of
    /// every frame the client then receives (as many as were pending).
    /// </summary>
    private static async Task<List<int>> NumbersSentAfterHoldingAsync(Action<ClientConnection> enqueue)
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await ConnectedAsync(server, "unit");
        ClientConnection connection = server.Services.GetRequiredService<ClientHub>().Connection("unit")!;
        int pending;
        using (connection.HoldSending())
        {
            enqueue(connection);
            pending = connection.PendingCount;
        }
        var numbers = new List<int>();
        for (int i = 0; i < pending; i++)
        {
            numbers.Add((int)(await ws.NextAsync()).Json!["n"]!);
        }
        return numbers;
    }

    [Fact]
    public async Task With_two_sockets_status_is_rate_limited_but_the_owner_still_sees_it_before_its_events()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        ClientHub hub = server.Services.GetRequiredService<ClientHub>();
        await using ComfyWebSocketClient observer = await ConnectedAsync(server, "observer");
        await using ComfyWebSocketClient runner = await ConnectedAsync(server, "runner");
        // Far longer than the test: after the first broadcast, statuses reach sockets only ahead of their own messages.
        hub.StatusInterval = TimeSpan.FromHours(1);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "runner"))["prompt_id"]!);
            await runner.WaitForCompletionAsync(ids[^1]);
        }

        List<WsFrame> frames = Snapshot(runner).Skip(1).ToList();
        Assert.Equal([.. Enumerable.Repeat(PromptEvents, 3).SelectMany(e => e)], frames.Where(f => f.Type != "status").Select(f => f.Type));
        // Prompt 1's "queued" went out at once; after it, each "taken" comes ahead of execution_start (later "queued"
        // ones are merged into it) and each finish status ahead of the final executing.
        for (int p = 0; p < 3; p++)
        {
            int start = frames.FindIndex(f => f.Type == "execution_start" && (string)f.Data!["prompt_id"]! == ids[p]);
            int end = frames.FindLastIndex(f => f.Type == "executing" && (string?)f.Data!["prompt_id"] == ids[p]);
            Assert.Equal("status", frames[start - 1].Type);
            Assert.Equal(1, (int)frames[start - 1].Data!["status"]!["exec_info"]!["queue_remaining"]!);
            Assert.Equal("status", frames[end - 1].Type);
            Assert.Equal(0, (int)frames[end - 1].Data!["status"]!["exec_info"]!["queue_remaining"]!);
        }
        // Nine without the limit; six or seven with it (prompt 1's "queued" may still be unsent when "taken" replaces it).
        Assert.InRange(frames.Count(f => f.Type == "status"), 6, 7);
        // The observer has no messages of its own: it got the first broadcast only (waited for, not slept on).
        await WaitUntilAsync(() => Snapshot(observer).Count > 1);
        WsFrame only = Assert.Single(Snapshot(observer).Skip(1));
        Assert.Equal("status", only.Type);
        Assert.Equal(1, (int)only.Data!["status"]!["exec_info"]!["queue_remaining"]!);
    }

    [Fact]
    public async Task With_two_sockets_the_newest_status_follows_by_timer()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        server.Services.GetRequiredService<ClientHub>().StatusInterval = TimeSpan.FromMilliseconds(50);
        await using ComfyWebSocketClient observer = await ConnectedAsync(server, "observer");
        await using ComfyWebSocketClient runner = await ConnectedAsync(server, "runner");
        for (int i = 0; i < 3; i++)
        {
            string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "runner"))["prompt_id"]!;
            await runner.WaitForCompletionAsync(id);
        }
        // Whatever was merged, the observer ends on the empty queue.
        await WaitUntilAsync(() => Snapshot(observer) is { Count: > 1 } frames && frames[^1].Type == "status"
            && (int)frames[^1].Data!["status"]!["exec_info"]!["queue_remaining"]! == 0);
    }

    /// <summary>A socket registered under <paramref name="sid"/>, its connect-time <c>status</c> already read.</summary>
    private static async Task<ComfyWebSocketClient> ConnectedAsync(ComfyTestServer server, string sid)
    {
        ComfyWebSocketClient client = await server.ConnectAsync(sid);
        try
        {
            await client.NextAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static List<WsFrame> Snapshot(ComfyWebSocketClient client)
    {
        lock (client.Received)
        {
            return [.. client.Received];
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // A generous bound for events that must come, never a timing assertion.
        for (int i = 0; i < 1500 && !condition(); i++)
        {
            await Task.Delay(20);
        }
        Assert.True(condition());
    }

    private static StatusSnapshot Status(int n) => new(Frame($"{{\"type\": \"status\", \"n\": {n}}}", status: true), n);

    private static OutgoingFrame Frame(string json, bool status) =>
        new(System.Text.Encoding.UTF8.GetBytes(json), System.Net.WebSockets.WebSocketMessageType.Text, status);
}
