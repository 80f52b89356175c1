using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class WebSocketTests
{
    [Fact]
    public async Task Connect_sends_status_with_the_given_sid_at_both_paths()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        foreach (string path in new[] { "ws", "api/ws" })
        {
            await using ComfyWebSocketClient ws = await server.ConnectAsync("capclient", path);
            WsFrame first = await ws.NextAsync();
            Assert.Equal("{\"type\": \"status\", \"data\": {\"status\": {\"exec_info\": {\"queue_remaining\": 0}}, \"sid\": \"capclient\"}}", first.Text);
        }
    }

    [Fact]
    public async Task Connect_without_client_id_gets_a_32_hex_sid()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await server.ConnectAsync();
        string sid = (string)(await ws.NextAsync()).Data!["sid"]!;
        Assert.Matches("^[0-9a-f]{32}$", sid);
    }

    [Fact]
    public async Task Feature_flags_are_answered_only_for_the_first_message()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await server.ConnectAsync("ff");
        await ws.NextAsync();
        await ws.SendTextAsync("{\"type\": \"feature_flags\", \"data\": {\"supports_preview_metadata\": true}}");
        WsFrame reply = await ws.NextAsync();
        Assert.Equal("{\"type\": \"feature_flags\", \"data\": {\"supports_preview_metadata\": true, \"max_upload_size\": 104857600, \"extension\": {\"manager\": {\"supports_v4\": true}}}}", reply.Text);
        await ws.SendTextAsync("{\"type\": \"feature_flags\", \"data\": {}}");
        using HttpResponseMessage _ = await server.PostJsonAsync("queue", new JsonObject { ["clear"] = true });
        await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph());
        WsFrame next = await ws.NextAsync();
        Assert.Equal("status", next.Type); // no second feature_flags reply
    }

    [Fact]
    public async Task A_run_reaches_its_client_in_the_reference_order()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await server.ConnectAsync("c1");
        await ws.NextAsync();
        JsonObject accepted = await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph(), "c1");
        string id = (string)accepted["prompt_id"]!;
        await ws.WaitForCompletionAsync(id);
        List<string> types = ws.Received.Skip(1).Select(f => f.Type).ToList();
        Assert.Equal(
            ["status", "status", "execution_start", "execution_cached",
             "progress_state", "executing", "progress_state",
             "progress_state", "executing", "executed", "progress_state",
             "execution_success", "status", "executing"], types);
        List<int> remaining = ws.Received.Where(f => f.Type == "status").Skip(1).Select(f => (int)f.Data!["status"]!["exec_info"]!["queue_remaining"]!).ToList();
        Assert.Equal([1, 1, 0], remaining);
        Assert.Equal($"{{\"type\": \"executing\", \"data\": {{\"node\": null, \"prompt_id\": \"{id}\"}}}}", ws.Received[^1].Text);
    }

    [Fact]
    public async Task Without_client_id_only_broadcasts_arrive()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        await using ComfyWebSocketClient ws = await server.ConnectAsync("listener");
        await ws.NextAsync();
        JsonObject accepted = await StandInServer.PostPromptAsync(server, StandInServer.SaveGraph());
        await StandInServer.WaitForHistoryAsync(server, (string)accepted["prompt_id"]!);
        await ws.WaitForAsync(f => f.Type == "status" && (int)f.Data!["status"]!["exec_info"]!["queue_remaining"]! == 0);
        Assert.All(ws.Received.Skip(1), f => Assert.Contains(f.Type, new[] { "status", "progress_state" }));
        Assert.Single((JsonObject)(await server.GetJsonAsync($"history/{accepted["prompt_id"]}"))!);
    }

    [Fact]
    public async Task Previews_are_type_1_unless_the_client_asked_for_metadata()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        var graph = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "PreviewStep", ["inputs"] = new JsonObject() },
            ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0) } },
        };
        await using ComfyWebSocketClient legacy = await server.ConnectAsync("legacy");
        await legacy.NextAsync();
        await using ComfyWebSocketClient modern = await server.ConnectAsync("modern");
        await modern.NextAsync();
        await modern.SendTextAsync("{\"type\": \"feature_flags\", \"data\": {\"supports_preview_metadata\": true}}");
        await modern.WaitForAsync(f => f.Type == "feature_flags");

        string a = (string)(await StandInServer.PostPromptAsync(server, graph, "legacy"))["prompt_id"]!;
        await legacy.WaitForCompletionAsync(a);
        string b = (string)(await StandInServer.PostPromptAsync(server, (JsonObject)graph.DeepClone(), "modern"))["prompt_id"]!;
        await modern.WaitForCompletionAsync(b);

        byte[] type1 = legacy.Received.Single(f => f.Binary is not null).Binary!;
        Assert.Equal("0000000100000001ffd8ffe0", Convert.ToHexStringLower(type1[..12]));
        byte[] type4 = modern.Received.Single(f => f.Binary is not null).Binary!;
        Assert.Equal(4u, BinaryFrames.ReadEventType(type4));
        string meta = System.Text.Encoding.ASCII.GetString(type4, 8, (int)BinaryFrames.ReadSecondWord(type4));
        Assert.Equal($"{{\"node_id\": \"1\", \"prompt_id\": \"{b}\", \"display_node_id\": \"1\", \"parent_node_id\": null, \"real_node_id\": \"1\", \"image_type\": \"image/jpeg\"}}", meta);
        // The legacy client saw no event-4 frame from the modern client's prompt.
        Assert.Single(legacy.Received, f => f.Binary is not null);
    }

    [Fact]
    public async Task Reconnecting_client_is_told_which_node_is_running()
    {
        await using ComfyTestServer server = await StandInServer.StartAsync();
        string id = (string)(await StandInServer.PostPromptAsync(server, StandInServer.SleepGraph(30), "again"))["prompt_id"]!;
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonArray)(await server.GetJsonAsync("queue"))!["queue_running"]!).Count == 1);
        await Task.Delay(200);
        await using ComfyWebSocketClient ws = await server.ConnectAsync("again");
        Assert.Equal("status", (await ws.NextAsync()).Type);
        Assert.Equal("{\"type\": \"executing\", \"data\": {\"node\": \"1\"}}", (await ws.NextAsync()).Text);
        using HttpResponseMessage _ = await server.PostJsonAsync("interrupt", new JsonObject { ["prompt_id"] = id });
        await ws.WaitForCompletionAsync(id);
    }
}
