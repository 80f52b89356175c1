using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Client.Tests;

/// <summary>
/// V3 dynamic inputs end to end: a frontend-format workflow with grown sockets (<c>images.image0</c>), a
/// dynamic combo's revealed widgets (<c>resize_type.width</c>) and a lazy switch is converted with the
/// server's own <c>/object_info</c>, validated and run by the real server.
/// </summary>
public sealed class DynamicInputWorkflowTests
{
    private const string Workflow = """
    {"nodes": [
      {"id": 1, "type": "EmptyImage", "mode": 0, "widgets_values": [8, 6, 1, 16711680]},
      {"id": 2, "type": "EmptyImage", "mode": 0, "widgets_values": [4, 4, 2, 65280]},
      {"id": 3, "type": "BatchImagesNode", "mode": 0, "inputs": [
        {"name": "images.image0", "label": "image0", "type": "IMAGE", "link": 1},
        {"name": "images.image1", "label": "image1", "type": "IMAGE", "link": 2},
        {"name": "images.image2", "label": "image2", "type": "IMAGE", "link": null}]},
      {"id": 4, "type": "ResizeImageMaskNode", "mode": 0, "inputs": [{"name": "input", "type": "IMAGE", "link": 3}],
       "widgets_values": ["scale dimensions", 4, 2, "disabled", "nearest-exact"]},
      {"id": 5, "type": "ComfySwitchNode", "mode": 0, "inputs": [
        {"name": "on_false", "type": "IMAGE", "link": 4}, {"name": "on_true", "type": "IMAGE", "link": 5}], "widgets_values": [true]},
      {"id": 6, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 6}], "widgets_values": ["switched"]},
      {"id": 7, "type": "EmptyImage", "mode": 0, "widgets_values": [2, 2, 1, 255]}],
     "links": [[1, 1, 0, 3, 0, "IMAGE"], [2, 2, 0, 3, 1, "IMAGE"], [3, 3, 0, 4, 0, "IMAGE"],
               [4, 7, 0, 5, 0, "IMAGE"], [5, 4, 0, 5, 1, "IMAGE"], [6, 5, 0, 6, 0, "IMAGE"]]}
    """;

    [Fact]
    public async Task Grown_sockets_revealed_widgets_and_a_lazy_switch_run_as_the_frontend_sends_them()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        var objectInfo = (JsonObject)(await server.GetJsonAsync("object_info"))!;
        JsonObject prompt = UiWorkflowConverter.Convert(JsonNode.Parse(Workflow)!.AsObject(), objectInfo);

        Assert.Equal("""{"images.image0":["1",0],"images.image1":["2",0]}""", prompt["3"]!["inputs"]!.ToJsonString());
        Assert.Equal(
            """{"resize_type":"scale dimensions","resize_type.width":4,"resize_type.height":2,"resize_type.crop":"disabled","scale_method":"nearest-exact","input":["3",0]}""",
            prompt["4"]!["inputs"]!.ToJsonString());
        Assert.True((bool)prompt["5"]!["inputs"]!["switch"]!);

        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        string promptId = (string)body!["prompt_id"]!;
        await socket.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(120));
        var history = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("success", (string?)history["status"]!["status_str"]);

        // The batch: one red 8x6 image and two green 4x4 ones resized to 8x6, then all scaled to 4x2.
        var saved = history["outputs"]!["6"]!["images"]!.AsArray();
        Assert.Equal(3, saved.Count);
        byte[][] expected = [[255, 0, 0], [0, 255, 0], [0, 255, 0]];
        for (int i = 0; i < 3; i++)
        {
            string name = (string)saved[i]!["filename"]!;
            byte[] png = await server.Http.GetByteArrayAsync($"view?filename={name}&type=output", TestContext.Current.CancellationToken);
            var frame = ImageDecoder.Decode(png, 1 << 20).Frames[0].Rgba;
            Assert.Equal((4, 2), (frame.Width, frame.Height));
            byte[] rgb = frame.WithChannels(3).Pixels;
            Assert.All(Enumerable.Range(0, rgb.Length), k => Assert.InRange(Math.Abs(rgb[k] - expected[i][k % 3]), 0, 1));
        }

        // Node 7 feeds only the branch the switch did not take: it never ran.
        string[] executing;
        lock (socket.Received)
        {
            executing = socket.Received.Where(f => f.Type == "executing").Select(f => (string?)f.Data!["node"]).OfType<string>().ToArray();
        }
        Assert.Contains("5", executing);
        Assert.Contains("1", executing);
        Assert.DoesNotContain("7", executing);
    }

    [Fact]
    public async Task Missing_grown_sockets_and_bad_revealed_widgets_are_validation_errors()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        var prompt = JsonNode.Parse("""
        {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
         "2": {"class_type": "BatchImagesNode", "inputs": {"images.image0": ["1", 0]}},
         "3": {"class_type": "ResizeImageMaskNode", "inputs": {"input": ["2", 0], "resize_type": "scale width", "resize_type.width": -5, "scale_method": "area"}},
         "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}}}
        """)!.AsObject();
        using var rejected = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt.DeepClone() });
        Assert.Equal(400, (int)rejected.StatusCode);
        var errors = (await ComfyTestServer.ReadJsonAsync(rejected))!["node_errors"]!;
        var resize = errors["3"]!["errors"]![0]!;
        Assert.Equal("value_smaller_than_min", (string?)resize["type"]);
        Assert.Equal("resize_type.width", (string?)resize["extra_info"]!["input_name"]);
        var batch = errors["2"]!["errors"]![0]!;
        Assert.Equal("required_input_missing", (string?)batch["type"]);
        Assert.Equal("images.image1", (string?)batch["extra_info"]!["input_name"]);

        // An option the combo does not have.
        prompt["2"]!["inputs"]!["images.image1"] = new JsonArray("1", 0);
        prompt["3"]!["inputs"]!["resize_type"] = "scale sideways";
        using var unknown = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt });
        Assert.Equal(400, (int)unknown.StatusCode);
        Assert.Equal("value_not_in_list", (string?)(await ComfyTestServer.ReadJsonAsync(unknown))!["node_errors"]!["3"]!["errors"]![0]!["type"]);
    }

    [Fact]
    public async Task CustomCombo_accepts_any_choice_and_passes_it_on()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = JsonNode.Parse("""
        {"1": {"class_type": "CustomCombo", "inputs": {"choice": "typed by the user", "option0": "typed by the user", "option1": "other"}},
         "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
        """)!.AsObject();
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        var executed = await socket.WaitForAsync(f => f.Type == "executed", TimeSpan.FromSeconds(60));
        Assert.Equal("""{"text":["typed by the user"]}""", executed.Data!["output"]!.ToJsonString());
    }
}
