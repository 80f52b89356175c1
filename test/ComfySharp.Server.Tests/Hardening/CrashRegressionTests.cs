using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// The inputs issue 22 found to kill the process (stack overflow) or answer 5xx, each over real HTTP
/// against the real validator and nodes, each followed by a valid prompt that must still run.
/// </summary>
public sealed class CrashRegressionTests
{
    private static JsonObject Graph(Action<JsonObject> change)
    {
        JsonObject graph = HardeningServer.ValidGraph();
        change(graph);
        return graph;
    }

    public static TheoryData<string> RejectedAtTheDoor => new()
    {
        // class_type that is a list or an object: the error text used to recurse forever.
        """{"1": {"class_type": ["EmptyImage"], "inputs": {}}}""",
        """{"1": {"class_type": {}, "inputs": {}}}""",
        """{"1": {"class_type": {"a": [1, {"b": []}]}, "inputs": {}}}""",
        // objects and lists as widget values
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": {}, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": {"x": [[{}]]}, "height": [1, 2, 3], "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}""",
        // a nested link
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": [["1", 0], 0], "filename_prefix": "x"}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", {}], "filename_prefix": "x"}}}""",
        // a bad link slot
        """{"2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}""",
    };

    [Theory]
    [MemberData(nameof(RejectedAtTheDoor))]
    public async Task Malformed_prompts_are_refused_with_400_and_the_server_keeps_running(string graph)
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var (status, body) = await HardeningServer.PostRawAsync(server, "prompt", "{\"prompt\": " + graph + "}");
        Assert.True(status == 400, $"answered {status}: {body}");
        JsonObject reply = (JsonObject)PythonJson.Parse(body)!;
        Assert.IsType<JsonObject>(reply["error"]);
        Assert.IsType<JsonObject>(reply["node_errors"]);
        await HardeningServer.AssertHealthyAsync(server);
    }

    public static TheoryData<string> ValidForTheReferenceButFailingToRun => new()
    {
        // A socket input given a plain value passes validation in the reference (no coercion for IMAGE) and fails when run;
        // a negative slot indexes from the end, as in Python; a dict prefix is coerced to its str().
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": "x", "filename_prefix": "x"}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": null}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": {}}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", -1], "filename_prefix": "x"}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": {}}}}""",
        """{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": {"a": [1, {"b": []}]}}}}""",
    };

    [Theory]
    [MemberData(nameof(ValidForTheReferenceButFailingToRun))]
    public async Task Prompts_accepted_as_the_reference_does_run_to_a_recorded_outcome(string graph)
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var (status, body) = await HardeningServer.PostRawAsync(server, "prompt", "{\"prompt\": " + graph + "}");
        Assert.True(status == 200, $"answered {status}: {body}");
        JsonObject entry = await HardeningServer.WaitForHistoryAsync(server, (string)PythonJson.Parse(body)!["prompt_id"]!);
        Assert.Contains((string?)entry["status"]?["status_str"], new[] { "success", "error" });
        await HardeningServer.AssertHealthyAsync(server);
    }

    public static TheoryData<string> FailingSavePrefixes => new()
    {
        "../x",
        "/etc/passwd",
        "../../../../tmp/escape",
        "a\0b",
        new string('p', 5000),
        "sub/" + new string('q', 300) + "/x",
    };

    [Theory]
    [MemberData(nameof(FailingSavePrefixes))]
    public async Task SaveImage_and_PreviewImage_failures_are_recorded_and_the_queue_keeps_running(string prefix)
    {
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var (status, body) = await HardeningServer.PostPromptAsync(server, HardeningServer.ValidGraph(prefix));
        Assert.True(status is 200 or 400, $"answered {status}: {body}");
        if (status == 200)
        {
            string id = (string)PythonJson.Parse(body)!["prompt_id"]!;
            JsonObject entry = await HardeningServer.WaitForHistoryAsync(server, id);
            Assert.Equal("error", (string?)entry["status"]?["status_str"]);
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(server.BaseDirectory, "*.png", SearchOption.AllDirectories),
            f => !f.StartsWith(server.Directories.Output, StringComparison.Ordinal) && !f.StartsWith(server.Directories.Temp, StringComparison.Ordinal));
        await HardeningServer.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task A_ten_thousand_node_chain_ending_in_a_cycle_is_refused_without_overflowing()
    {
        const int length = 10_000;
        var graph = new JsonObject();
        // ImageInvert chain: node i reads node i+1; the last reads the first again (a cycle).
        for (int i = 1; i <= length; i++)
        {
            string next = (i == length ? 1 : i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            graph[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["class_type"] = "ImageInvert",
                ["inputs"] = new JsonObject { ["image"] = new JsonArray(next, 0) },
            };
        }
        graph["out"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0) } };
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s => s.Options.MaxUploadSize = 64L * 1024 * 1024);
        var (status, body) = await HardeningServer.PostPromptAsync(server, graph);
        Assert.True(status == 400, $"answered {status}: {body[..Math.Min(body.Length, 500)]}");
        await HardeningServer.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task A_deep_chain_without_a_cycle_validates_and_runs()
    {
        const int length = 3_000;
        var graph = new JsonObject
        {
            ["0"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 2, ["height"] = 2, ["batch_size"] = 1, ["color"] = 0 } },
        };
        for (int i = 1; i <= length; i++)
        {
            graph[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["class_type"] = "ImageInvert",
                ["inputs"] = new JsonObject { ["image"] = new JsonArray((i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 0) },
            };
        }
        graph["out"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray(length.ToString(System.Globalization.CultureInfo.InvariantCulture), 0) } };
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s => s.Options.MaxUploadSize = 64L * 1024 * 1024);
        var (status, body) = await HardeningServer.PostPromptAsync(server, graph);
        Assert.True(status == 200, $"answered {status}: {body[..Math.Min(body.Length, 500)]}");
        JsonObject entry = await HardeningServer.WaitForHistoryAsync(server, (string)PythonJson.Parse(body)!["prompt_id"]!);
        Assert.Equal("success", (string?)entry["status"]?["status_str"]);
        await HardeningServer.AssertHealthyAsync(server);
    }

    [Fact]
    public void Error_text_of_deeply_nested_json_is_bounded_and_does_not_recurse_forever()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 400; i++) { sb.Append("[{\"a\": "); }
        sb.Append('1');
        for (int i = 0; i < 400; i++) { sb.Append("}]"); }
        JsonNode node = PythonJson.Parse(sb.ToString())!;
        string text = Engine.Python.Py.Str(node);
        Assert.StartsWith("[{'a': [{'a': ", text, StringComparison.Ordinal);
        Assert.Equal("[{'a': 1}]", Engine.Python.Py.Str(PythonJson.Parse("[{\"a\": 1}]")));
        Assert.Equal("{}", Engine.Python.Py.Str(new JsonObject()));
    }
}

/// <summary>Validation cost: a graph of 10,000 outputs linked to missing nodes is refused in one linear pass.</summary>
public sealed class LargeGraphValidationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_outputs_linked_to_missing_nodes_are_refused_with_bounded_node_errors()
    {
        const int outputs = 10_000;
        var graph = new JsonObject();
        for (int i = 0; i < outputs; i++)
        {
            graph[$"out{i}"] = new JsonObject
            {
                ["class_type"] = "SaveImage",
                ["inputs"] = new JsonObject { ["images"] = new JsonArray($"missing{i}", 0), ["filename_prefix"] = "ComfyUI_padding_to_reach_one_megabyte_" + i },
            };
        }
        string body = PythonJson.Serialize(new JsonObject { ["prompt"] = graph });
        Assert.True(body.Length > 1_000_000, $"the graph is {body.Length} bytes");
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (status, reply) = await HardeningServer.PostRawAsync(server, "prompt", body);
        watch.Stop();
        output.WriteLine($"{body.Length} bytes, {outputs} outputs: {status} in {watch.Elapsed.TotalSeconds:0.00} s, reply {reply.Length} bytes");
        Assert.Equal(400, status);
        var nodeErrors = (JsonObject)PythonJson.Parse(reply)!["node_errors"]!;
        Assert.Equal(outputs, nodeErrors.Count);
        int dependents = nodeErrors.Sum(kv => ((JsonArray)kv.Value!["dependent_outputs"]!).Count);
        Assert.Equal(Engine.Validation.PromptValidator.MaxDependentOutputEntries, dependents);
        // The first entries are the reference's: the first failing output lists itself only.
        Assert.Equal("out0", (string?)nodeErrors["out0"]!["dependent_outputs"]![0]);
        await HardeningServer.AssertHealthyAsync(server);
    }
}
