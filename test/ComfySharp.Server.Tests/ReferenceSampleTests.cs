using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.Server.Tests.Support;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>
/// The captured reference traffic (spec/samples) replayed against the real engine and nodes: the same
/// graph must give the same reply shape, the same WebSocket message order and the same history shape.
/// </summary>
public sealed class ReferenceSampleTests
{
    private static readonly string[] ProgressTypes = ["progress", "progress_state"];

    [Fact]
    public async Task Success_then_cached_rerun_match_the_reference()
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        await ReplayAsync(server, "a_success");
        await ReplayAsync(server, "e_rerun_cached");
    }

    [Fact]
    public async Task Execution_error_then_rerun_match_the_reference()
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        await ReplayAsync(server, "c_execution_error");
        await ReplayAsync(server, "c2_execution_error_rerun");
    }

    [Theory]
    [InlineData("a2_stubimage_success")]
    [InlineData("b9_partial_invalid_output")]
    [InlineData("g_progress_and_preview")]
    public async Task Custom_node_runs_match_the_reference(string sample)
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        await ReplayAsync(server, sample);
    }

    [Theory]
    [InlineData("b1_validation_value_below_min")]
    [InlineData("b2_validation_missing_input")]
    [InlineData("b3_validation_unknown_class")]
    [InlineData("b4_validation_no_outputs")]
    [InlineData("b5_validation_type_mismatch")]
    [InlineData("b6_validation_bad_combo_value")]
    [InlineData("b7_validation_link_to_missing_node")]
    [InlineData("b8_validation_wrong_value_type")]
    public async Task Validation_failures_match_the_reference(string sample)
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        await ReplayAsync(server, sample);
        Assert.Equal("{\"queue_running\": [], \"queue_pending\": []}", await server.Http.GetStringAsync("queue"));
    }

    [Fact]
    public async Task Interrupt_matches_the_reference()
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        JsonObject captured = RouteTests.Sample("d_interrupt.json");
        string clientId = (string)captured["client_id"]!;
        await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
        await ws.NextAsync();
        using HttpResponseMessage post = await server.PostJsonAsync("prompt", captured["request"]!.DeepClone());
        string id = (string)PythonJson.Parse(await post.Content.ReadAsStringAsync())!["prompt_id"]!;
        await ws.WaitForAsync(f => f.Type == "executing" && (string?)f.Data!["node"] == "2");
        Assert.Equal(PythonJson.Serialize(captured["prompt_get_while_running"]), PythonJson.Serialize(await server.GetJsonAsync("prompt")));
        using HttpResponseMessage interrupt = await server.Http.PostAsync("interrupt", null);
        Assert.Equal(200, (int)interrupt.StatusCode);
        await ws.WaitForCompletionAsync(id);
        Assert.Equal(Skeleton(SampleFrames(captured)), Skeleton(ws.Received.Skip(1).Where(f => f.Text is not null).Select(f => f.Json!)));
        JsonObject history = (JsonObject)(await server.GetJsonAsync($"history/{id}"))!;
        Shape.AssertSame(captured["history"]!.AsObject().First().Value, history[id]);
    }

    private static async Task ReplayAsync(ComfyTestServer server, string sample)
    {
        JsonObject captured = RouteTests.Sample(sample + ".json");
        string clientId = (string)captured["client_id"]!;
        await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
        WsFrame connect = await ws.NextAsync();
        Shape.AssertSame(((JsonArray)captured["ws_on_connect"]!)[0]!["json"], connect.Json);

        using HttpResponseMessage post = await server.PostJsonAsync("prompt", captured["request"]!.DeepClone());
        string text = await post.Content.ReadAsStringAsync();
        JsonObject reply = (JsonObject)PythonJson.Parse(text)!;
        JsonObject expectedReply = (JsonObject)captured["response"]!["body"]!;
        Assert.True((int)captured["response"]!["status"]! == (int)post.StatusCode, text);
        Shape.AssertSame(expectedReply, reply);
        Assert.Equal(expectedReply["error"]?["type"]?.ToJsonString(), reply["error"]?["type"]?.ToJsonString());
        Assert.Equal(((JsonObject)expectedReply["node_errors"]!).Select(kv => kv.Key), ((JsonObject)reply["node_errors"]!).Select(kv => kv.Key));
        if (!post.IsSuccessStatusCode)
        {
            return;
        }
        string id = (string)reply["prompt_id"]!;
        await ws.WaitForCompletionAsync(id);
        Assert.Equal(Skeleton(SampleFrames(captured)), Skeleton(ws.Received.Skip(1).Where(f => f.Text is not null).Select(f => f.Json!)));
        JsonObject history = (JsonObject)(await server.GetJsonAsync($"history/{id}"))!;
        Shape.AssertSame(captured["history"]!.AsObject().First().Value, history[id]);
    }

    private static IEnumerable<JsonObject> SampleFrames(JsonObject captured) =>
        ((JsonArray)captured["ws"]!).Where(f => f!["json"] is not null).Select(f => (JsonObject)f!["json"]!);

    // Message order with runs of progress messages collapsed (their count depends on timing).
    private static List<string> Skeleton(IEnumerable<JsonObject> frames)
    {
        var result = new List<string>();
        foreach (JsonObject frame in frames)
        {
            string type = (string)frame["type"]!;
            string item = type switch
            {
                "executing" => $"executing:{(string?)frame["data"]!["node"] ?? "null"}",
                _ when ProgressTypes.Contains(type) => "progress…",
                _ => type,
            };
            if (item == "progress…" && result.Count > 0 && result[^1] == item)
            {
                continue;
            }
            result.Add(item);
        }
        return result;
    }
}
