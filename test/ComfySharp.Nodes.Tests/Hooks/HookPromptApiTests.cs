using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Hooks;

/// <summary>Hook nodes in a prompt through the real server: their wire types validate and their values flow between nodes.</summary>
public sealed class HookPromptApiTests
{
    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };

    [Fact]
    public async Task Hooks_keyframes_and_ranges_flow_through_a_prompt_and_wrong_types_are_refused()
    {
        string loras = TestPaths.NewTempDirectory("hook-api");
        foreach (string name in new[] { "a.safetensors", "b.safetensors" })
        {
            SafeTensorsWriter.Write(Path.Combine(loras, name), new Dictionary<string, Tensor>
            {
                ["lora_unet_proj.lora_up.weight"] = ones(2, 1),
                ["lora_unet_proj.lora_down.weight"] = ones(1, 2),
            });
        }
        await using var server = await ComfyTestServer.StartAsync(s =>
        {
            s.TestNodes = false;
            s.ConfigureModelFolders = folders => folders.AddPath("loras", loras);
        });
        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = new JsonObject
        {
            ["1"] = Node("CreateHookLora", new JsonObject { ["lora_name"] = "a.safetensors", ["strength_model"] = 0.8, ["strength_clip"] = 1.0 }),
            ["2"] = Node("CreateHookKeyframesInterpolated", new JsonObject
            {
                ["strength_start"] = 1.0,
                ["strength_end"] = 0.0,
                ["interpolation"] = "ease_in_out",
                ["start_percent"] = 0.0,
                ["end_percent"] = 1.0,
                ["keyframes_count"] = 3,
                ["print_keyframes"] = false,
            }),
            ["3"] = Node("SetHookKeyframes", new JsonObject { ["hooks"] = new JsonArray("1", 0), ["hook_kf"] = new JsonArray("2", 0) }),
            ["4"] = Node("CreateHookLoraModelOnly", new JsonObject { ["lora_name"] = "b.safetensors", ["strength_model"] = 0.5, ["prev_hooks"] = new JsonArray("3", 0) }),
            ["5"] = Node("CombineHooks4", new JsonObject { ["hooks_A"] = new JsonArray("4", 0), ["hooks_C"] = new JsonArray("1", 0) }),
            ["6"] = Node("PreviewAny", new JsonObject { ["source"] = new JsonArray("5", 0) }),
            ["7"] = Node("PreviewAny", new JsonObject { ["source"] = new JsonArray("2", 0) }),
        };
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        string promptId = (string)body!["prompt_id"]!;
        await socket.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(60));
        var history = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("success", (string?)history["status"]!["status_str"]);
        // Hook 1 reached node 5 twice (through 3 and 4, with its schedule replaced) and counts once.
        Assert.Equal("HookGroup(2 hooks)", (string?)history["outputs"]!["6"]!["text"]![0]);
        Assert.Equal("HookKeyframeGroup(0:1, 0.5:0.5, 1:0)", (string?)history["outputs"]!["7"]!["text"]![0]);

        // Keyframes where hooks belong: the only output depends on the bad link, so the prompt is refused.
        var bad = new JsonObject { ["2"] = prompt["2"]!.DeepClone() };
        bad["8"] = Node("CreateHookLoraModelOnly", new JsonObject { ["lora_name"] = "b.safetensors", ["strength_model"] = 0.5, ["prev_hooks"] = new JsonArray("2", 0) });
        bad["9"] = Node("PreviewAny", new JsonObject { ["source"] = new JsonArray("8", 0) });
        using var refused = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = bad, ["client_id"] = clientId });
        var error = await ComfyTestServer.ReadJsonAsync(refused);
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal("return_type_mismatch", (string?)error!["node_errors"]!["8"]!["errors"]![0]!["type"]);
    }
}
