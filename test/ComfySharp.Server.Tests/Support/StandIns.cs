using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Tests.Support;

/// <summary>
/// Accepts prompts whose output nodes are SaveImage/PreviewImage (the server's own behaviour around
/// validation is what these tests check; the engine's validator has its own tests).
/// </summary>
internal sealed class StandInChecker : IPromptChecker
{
    public ValueTask<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? partialExecutionTargets, CancellationToken cancellationToken)
    {
        var outputs = prompt
            .Where(kv => (string?)kv.Value?["class_type"] is "SaveImage" or "PreviewImage")
            .Select(kv => kv.Key)
            .Where(id => partialExecutionTargets is null || partialExecutionTargets.Contains(id))
            .ToList();
        if (outputs.Count == 0)
        {
            var error = new JsonObject { ["type"] = "prompt_no_outputs", ["message"] = "Prompt has no outputs", ["details"] = "", ["extra_info"] = new JsonObject() };
            return ValueTask.FromResult(new PromptValidation(false, error, [], new JsonObject()));
        }
        return ValueTask.FromResult(new PromptValidation(true, null, outputs, new JsonObject()));
    }
}

/// <summary>
/// Runs prompts the way the executor reports them (WEBSOCKET.md §6.2) without tensors: every node
/// "runs" in key order; SaveImage writes a real PNG; TestSleep waits <c>seconds</c> unless interrupted;
/// PreviewStep sends one JPEG preview.
/// </summary>
internal sealed class StandInRunner(ComfyDirectories directories) : IPromptRunner
{
    // A valid 2x2 RGBA PNG.
    public static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEklEQVR4nGP4z8DwHwgbGGAMAEBXBvusDhdaAAAAAElFTkSuQmCC");

    private int _counter;

    public (string DisplayNodeId, string? ClientId)? Current { get; private set; }

    public int CacheClears { get; private set; }

    public void ClearCaches() => CacheClears++;

    public async Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
    {
        string id = prompt.PromptId;
        string? client = prompt.ClientId;
        var messages = new JsonArray();
        var outputs = new JsonObject();
        var meta = new JsonObject();
        var progress = new JsonObject();
        var executed = new List<string>();
        void Status(string type, JsonObject data, MessageTarget target)
        {
            data["timestamp"] = Messages.NowMilliseconds();
            messages.Add(new JsonArray(type, data.DeepClone()));
            sink.Send(type, data, target, client);
        }
        void ProgressState(string node, double value, double max, string state)
        {
            progress[node] = new JsonObject
            {
                ["value"] = value, ["max"] = max, ["state"] = state, ["node_id"] = node, ["prompt_id"] = id,
                ["display_node_id"] = node, ["parent_node_id"] = null, ["real_node_id"] = node,
            };
            sink.Send(MessageTypes.ProgressState, new JsonObject { ["prompt_id"] = id, ["nodes"] = progress.DeepClone() }, MessageTarget.ClientOrAll, client);
        }

        Status(MessageTypes.ExecutionStart, new JsonObject { ["prompt_id"] = id }, MessageTarget.ClientOnly);
        Status(MessageTypes.ExecutionCached, new JsonObject { ["nodes"] = new JsonArray(), ["prompt_id"] = id }, MessageTarget.ClientOnly);
        foreach (var (nodeId, node) in prompt.Prompt)
        {
            string classType = (string)node!["class_type"]!;
            ProgressState(nodeId, 0.0, 1.0, "running");
            Current = (nodeId, client);
            sink.Send(MessageTypes.Executing, new JsonObject { ["node"] = nodeId, ["display_node"] = nodeId, ["prompt_id"] = id }, MessageTarget.ClientOnly, client);
            try
            {
                if (classType == "TestSleep")
                {
                    double seconds = (double?)node["inputs"]?["seconds"] ?? 1.0;
                    await Task.Delay(TimeSpan.FromSeconds(seconds), interrupt);
                }
                interrupt.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                Current = null;
                Status(MessageTypes.ExecutionInterrupted, new JsonObject
                {
                    ["prompt_id"] = id, ["node_id"] = nodeId, ["node_type"] = classType, ["executed"] = new JsonArray(executed.Select(e => (JsonNode?)e).ToArray()),
                }, MessageTarget.ClientOrAll);
                return new ExecutionRecord(ExecutionOutcome.Interrupted, outputs, meta, StatusObject("error", false, messages));
            }
            if (classType == "PreviewStep")
            {
                sink.SendPreview(new PreviewImage(PreviewFormat.Jpeg, new byte[] { 0xff, 0xd8, 0xff, 0xe0, 1, 2, 3 }), new PreviewOrigin(nodeId, id, nodeId, null, nodeId), client);
                sink.Send(MessageTypes.Progress, new JsonObject { ["value"] = 1, ["max"] = 1, ["prompt_id"] = id, ["node"] = nodeId }, MessageTarget.ClientOrAll, client);
            }
            if (classType is "SaveImage" or "PreviewImage")
            {
                bool save = classType == "SaveImage";
                string dir = save ? directories.Output : directories.Temp;
                string name = $"{(save ? "ComfyUI" : "ComfyUI_temp")}_{Interlocked.Increment(ref _counter):00000}_.png";
                Directory.CreateDirectory(dir);
                await File.WriteAllBytesAsync(Path.Combine(dir, name), Png, CancellationToken.None);
                var ui = new JsonObject { ["images"] = new JsonArray(new JsonObject { ["filename"] = name, ["subfolder"] = "", ["type"] = save ? "output" : "temp" }) };
                outputs[nodeId] = ui.DeepClone();
                meta[nodeId] = new JsonObject { ["node_id"] = nodeId, ["display_node"] = nodeId, ["parent_node"] = null, ["real_node_id"] = nodeId };
                sink.Send(MessageTypes.Executed, new JsonObject { ["node"] = nodeId, ["display_node"] = nodeId, ["output"] = ui, ["prompt_id"] = id }, MessageTarget.ClientOnly, client);
            }
            executed.Add(nodeId);
            ProgressState(nodeId, 1.0, 1.0, "finished");
        }
        Current = null;
        Status(MessageTypes.ExecutionSuccess, new JsonObject { ["prompt_id"] = id }, MessageTarget.ClientOnly);
        return new ExecutionRecord(ExecutionOutcome.Success, outputs, meta, StatusObject("success", true, messages));
    }

    private static JsonObject StatusObject(string status, bool completed, JsonArray messages) =>
        new() { ["status_str"] = status, ["completed"] = completed, ["messages"] = messages };
}

/// <summary>Starts test servers with the stand-ins.</summary>
internal static class StandInServer
{
    public static Task<ComfyTestServer> StartAsync(Action<ComfyTestServerSettings>? configure = null, string? baseDirectory = null) =>
        ComfyTestServer.StartAsync(s =>
        {
            s.BaseDirectory = baseDirectory;
            s.ConfigureServices = services =>
            {
                services.AddSingleton<IPromptChecker, StandInChecker>();
                services.AddSingleton<IPromptRunner>(sp => new StandInRunner(sp.GetRequiredService<ComfyDirectories>()));
            };
            configure?.Invoke(s);
        });

    /// <summary>EmptyImage → SaveImage.</summary>
    public static JsonObject SaveGraph() => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 8, ["height"] = 8, ["batch_size"] = 1, ["color"] = 0 } },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "ComfyUI" } },
    };

    /// <summary>TestSleep (seconds) → SaveImage.</summary>
    public static JsonObject SleepGraph(double seconds) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "TestSleep", ["inputs"] = new JsonObject { ["value"] = 1, ["seconds"] = seconds } },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "ComfyUI" } },
    };

    public static async Task<JsonObject> PostPromptAsync(ComfyTestServer server, JsonObject graph, string? clientId = null, Action<JsonObject>? extra = null)
    {
        var body = new JsonObject { ["prompt"] = graph };
        if (clientId is not null)
        {
            body["client_id"] = clientId;
        }
        extra?.Invoke(body);
        using HttpResponseMessage response = await server.PostJsonAsync("prompt", body);
        string text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.IsSuccessStatusCode, text);
        return (JsonObject)PythonJson.Parse(text)!;
    }

    public static async Task WaitForHistoryAsync(ComfyTestServer server, string promptId) =>
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await server.GetJsonAsync($"history/{promptId}"))!).Count > 0);
}
