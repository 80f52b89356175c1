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
        await using ComfyWebSocketClient slow = await server.ConnectAsync("slow");
        await slow.NextAsync();
        await using ComfyWebSocketClient other = await server.ConnectAsync("other");
        await other.NextAsync();

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
        await using ComfyWebSocketClient ws = await server.ConnectAsync("solo");
        await ws.NextAsync();
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
        await using ComfyTestServer server = await StandInServer.StartAsync();
        ClientHub hub = server.Services.GetRequiredService<ClientHub>();
        await using ComfyWebSocketClient ws = await server.ConnectAsync("unit");
        await ws.NextAsync();
        ClientConnection connection = hub.Connection("unit")!;
        using (connection.HoldSending())
        {
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 1}", status: true), supersede: false);
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 2}", status: true), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 3}", status: true), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"other\", \"n\": 4}", status: false), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 5}", status: true), supersede: true);
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 6}", status: true), supersede: false);
            connection.Enqueue(Frame("{\"type\": \"status\", \"n\": 7}", status: true), supersede: true);
            Assert.Equal(4, connection.PendingCount);
        }
        var numbers = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            numbers.Add((int)(await ws.NextAsync()).Json!["n"]!);
        }
        Assert.Equal([3, 4, 5, 7], numbers);
    }

    private static OutgoingFrame Frame(string json, bool status) =>
        new(System.Text.Encoding.UTF8.GetBytes(json), System.Net.WebSockets.WebSocketMessageType.Text, status);
}
