using System.Text.Json.Nodes;
using ComfySharp.Engine.Tests.Support;
using Xunit;

namespace ComfySharp.Engine.Tests;

public sealed class ExecutionTests
{
    private const string ThreeNodes = """
        {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 255}},
         "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
         "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "cap/test"}}}
        """;

    private static string Shape(RecordingSink sink) => string.Join(",", sink.Messages.Select(m => m.Type switch
    {
        "executing" => "executing:" + (string?)m.Data["node"],
        "executed" => "executed:" + (string?)m.Data["node"],
        "progress_state" => "ps:" + string.Join("/", ((JsonObject)m.Data["nodes"]!).Select(kv => kv.Key + "=" + (string?)kv.Value!["state"])),
        _ => m.Type,
    }));

    [Fact]
    public async Task Three_node_run_sends_messages_in_reference_order_and_rerun_is_cached()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync(ThreeNodes);
        Assert.Equal(
            "execution_start,execution_cached,ps:1=running,executing:1,ps:1=finished,ps:1=finished/2=running,executing:2,ps:1=finished/2=finished," +
            "ps:1=finished/2=finished/3=running,executing:3,executed:3,ps:1=finished/2=finished/3=finished,execution_success",
            Shape(sink));
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        Assert.Equal("""{"3":{"images":[{"pixel":255,"shape":"8x8x3"}]}}""", record.Outputs.ToJsonString());
        Assert.Equal("""{"3":{"node_id":"3","display_node":"3","parent_node":null,"real_node_id":"3"}}""", record.Meta.ToJsonString());
        Assert.Equal("success", (string?)record.Status["status_str"]);
        var messages = (JsonArray)record.Status["messages"]!;
        Assert.Equal(["execution_start", "execution_cached", "execution_success"], messages.Select(m => (string)m![0]!).ToArray());
        Assert.True(messages[0]![1]!["timestamp"]!.GetValue<long>() > 1_600_000_000_000);
        var first = sink.OfType("progress_state").First();
        Assert.Equal("""{"value":0.0,"max":1.0,"state":"running","node_id":"1","prompt_id":"p0","display_node_id":"1","parent_node_id":null,"real_node_id":"1"}""",
            first["nodes"]!["1"]!.ToJsonString());

        var (_, again, sink2) = await harness.RunAsync(ThreeNodes);
        Assert.Equal("execution_start,execution_cached,executed:3,ps:3=finished,execution_success", Shape(sink2));
        Assert.Equal("""["1","2","3"]""", sink2.OfType("execution_cached").Single()["nodes"]!.ToJsonString());
        Assert.Equal("""{"value":1,"max":1,"state":"finished","node_id":"3","prompt_id":"p1","display_node_id":"3","parent_node_id":null,"real_node_id":"3"}""",
            sink2.OfType("progress_state").Single()["nodes"]!["3"]!.ToJsonString());
        Assert.Equal(record.Outputs.ToJsonString(), again!.Outputs.ToJsonString());
    }

    [Fact]
    public async Task Node_ids_and_hidden_inputs_do_not_affect_the_cache()
    {
        var harness = new Harness();
        await harness.RunAsync(ThreeNodes);
        var renumbered = """
            {"11": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 255}},
             "12": {"class_type": "ImageInvert", "inputs": {"image": ["11", 0]}},
             "13": {"class_type": "SaveImage", "inputs": {"images": ["12", 0], "filename_prefix": "cap/test"}}}
            """;
        var (_, _, sink) = await harness.RunAsync(renumbered);
        Assert.Empty(sink.Executing());
        Assert.Equal("""["11","12","13"]""", sink.OfType("execution_cached").Single()["nodes"]!.ToJsonString());
    }

    [Fact]
    public async Task Changing_a_widget_reruns_only_that_node_and_its_descendants()
    {
        var harness = new Harness();
        await harness.RunAsync(ThreeNodes);
        var (_, _, sink) = await harness.RunAsync(ThreeNodes.Replace("cap/test", "other", StringComparison.Ordinal));
        Assert.Equal(["3"], sink.Executing());
        Assert.Equal("""["1","2"]""", sink.OfType("execution_cached").Single()["nodes"]!.ToJsonString());
    }

    [Fact]
    public async Task Cache_none_reruns_everything()
    {
        var harness = new Harness(new CacheOptions(CacheMode.None));
        await harness.RunAsync(ThreeNodes);
        var (_, _, sink) = await harness.RunAsync(ThreeNodes);
        Assert.Equal(["1", "2", "3"], sink.Executing());
        Assert.Equal("[]", sink.OfType("execution_cached").Single()["nodes"]!.ToJsonString());
    }

    [Fact]
    public async Task Classic_cache_forgets_graphs_that_are_not_the_newest_but_lru_keeps_them()
    {
        string other = ThreeNodes.Replace("\"color\": 255", "\"color\": 0", StringComparison.Ordinal);
        var classic = new Harness();
        await classic.RunAsync(ThreeNodes);
        await classic.RunAsync(other);
        var (_, _, classicSink) = await classic.RunAsync(ThreeNodes);
        Assert.Equal(["1", "2", "3"], classicSink.Executing());

        var lru = new Harness(new CacheOptions(CacheMode.Lru, LruSize: 100));
        await lru.RunAsync(ThreeNodes);
        await lru.RunAsync(other);
        var (_, _, lruSink) = await lru.RunAsync(ThreeNodes);
        Assert.Empty(lruSink.Executing());

        var small = new Harness(new CacheOptions(CacheMode.Lru, LruSize: 3));
        await small.RunAsync(ThreeNodes);
        await small.RunAsync(other);
        await small.RunAsync(other.Replace("\"color\": 0", "\"color\": 1", StringComparison.Ordinal));
        Assert.True(small.Executor.CachedEntryCount <= 6, $"{small.Executor.CachedEntryCount} entries");
        var (_, _, evicted) = await small.RunAsync(ThreeNodes);
        Assert.Equal(["1", "2", "3"], evicted.Executing());
    }

    [Fact]
    public async Task Output_prioritising_order_matches_the_verified_example()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
             "2": {"class_type": "TestSyncError", "inputs": {"value": ["1", 0]}},
             "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
             "5": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
             "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}}}
            """, null);
        // Outputs in the order the reference's set produced them: 6 then 3.
        _ = record;
        Assert.Equal("1", sink.Executing()[0]);
        var run = new Harness();
        var prompt = (JsonObject)JsonNode.Parse("""
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
             "2": {"class_type": "TestSyncError", "inputs": {"value": ["1", 0]}},
             "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
             "5": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
             "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}}}
            """)!;
        await run.ValidateAsync(prompt);
        var sink2 = new RecordingSink();
        var result = await run.Executor.ExecuteAsync(new QueuedPrompt(0, false, "p", prompt, new JsonObject { ["client_id"] = "c" }, ["6", "3"]), sink2, "none", TestContext.Current.CancellationToken);
        Assert.Equal(["1", "5", "6", "2"], sink2.Executing());
        Assert.Equal(ExecutionOutcome.Error, result.Outcome);
        var error = sink2.OfType("execution_error").Single();
        Assert.Equal("2", (string?)error["node_id"]);
        Assert.Equal("TestSyncError", (string?)error["node_type"]);
        Assert.Equal("Intentional sync execution error for testing\n", (string?)error["exception_message"]);
        Assert.Equal("RuntimeError", (string?)error["exception_type"]);
        Assert.Equal(["1", "5", "6"], ((JsonArray)error["executed"]!).Select(e => (string)e!).Order().ToArray());
        Assert.Single(((JsonArray)error["current_inputs"]!["value"]!));
        Assert.Equal("""["1","2","3","5","6"]""", error["current_outputs"]!.ToJsonString());
        Assert.Equal("error", (string?)result.Status["status_str"]);
        Assert.Equal(false, (bool?)result.Status["completed"]);
        Assert.Equal("""{"6":{"images":[{"pixel":255,"shape":"8x8x3"}]}}""", result.Outputs.ToJsonString());

        // The failing node has no cache entry; finished nodes keep theirs.
        var (_, _, rerun) = await run.RunAsync(prompt.ToJsonString());
        Assert.Equal("""["1","5","6"]""", rerun.OfType("execution_cached").Single()["nodes"]!.ToJsonString());
    }

    [Fact]
    public async Task Basic_sd15_topology_runs_in_the_reference_order()
    {
        // Stand-ins with the same topology as the reference's basic API example (WEBSOCKET.md §7.2), inputs alphabetical.
        var harness = new Harness();
        var (_, _, sink) = await harness.RunAsync("""
            {"3": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["5", 0], "input2": ["4", 0], "input3": ["7", 0], "input4": ["6", 0]}},
             "4": {"class_type": "StubImage", "inputs": {"batch_size": 1, "content": "BLACK", "height": 8, "width": 8}},
             "5": {"class_type": "StubImage", "inputs": {"batch_size": 1, "content": "WHITE", "height": 8, "width": 8}},
             "6": {"class_type": "ImageInvert", "inputs": {"image": ["4", 0]}},
             "7": {"class_type": "TestIsChangedWithConstants", "inputs": {"image": ["4", 0], "value": 0.5}},
             "8": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["3", 0], "input2": ["4", 0]}},
             "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0]}}}
            """);
        Assert.Equal("4,6,7,5,3,8,9", string.Join(",", sink.Executing()));
    }

    [Fact]
    public async Task Lazy_branches_that_are_not_needed_never_run()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "StubMask", "inputs": {"value": 0.0, "height": 8, "width": 8, "batch_size": 1}},
             "4": {"class_type": "TestLazyMixImages", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "mask": ["3", 0]}},
             "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}}}
            """);
        Assert.DoesNotContain("2", sink.Executing());
        Assert.Equal(["3", "4", "1", "4", "5"], sink.Executing());
        Assert.Equal(0, record!.Outputs["5"]!["images"]![0]!["pixel"]!.GetValue<int>());

        var (_, mixed, _) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "StubMask", "inputs": {"value": 0.5, "height": 8, "width": 8, "batch_size": 1}},
             "4": {"class_type": "TestLazyMixImages", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "mask": ["3", 0]}},
             "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(127, mixed!.Outputs["5"]!["images"]![0]!["pixel"]!.GetValue<int>());
    }

    [Fact]
    public async Task Variadic_inputs_and_is_changed_nan_force_reruns()
    {
        var harness = new Harness();
        const string graph = """
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "TestCustomIsChanged", "inputs": {"image": ["2", 0], "should_change": true}},
             "4": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["1", 0], "input2": ["3", 0], "input3": ["1", 0], "input4": ["1", 0], "input6": ["2", 0]}},
             "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}}}
            """;
        var (_, record, _) = await harness.RunAsync(graph);
        Assert.Equal(63, record!.Outputs["5"]!["images"]![0]!["pixel"]!.GetValue<int>());
        var (_, _, sink) = await harness.RunAsync(graph);
        Assert.Equal(["3", "4", "5"], sink.Executing());
    }

    [Fact]
    public async Task Progress_state_bytes_equal_the_serialised_snapshot_through_expansion_progress_and_cache()
    {
        // The executor writes progress_state from cached per-node fragments; every message must be the
        // exact bytes PythonJson gives for the snapshot object (float/int forms, ephemeral ids, null parents).
        var harness = new Harness();
        const string Graph = """
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "4": {"class_type": "TestParallelSleep", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "image3": ["3", 0], "sleep1": 0.03, "sleep2": 0.02, "sleep3": 0.01}},
             "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}},
             "6": {"class_type": "TestSyncProgressUpdate", "inputs": {"value": ["1", 0], "sleep_seconds": 0.03}},
             "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "y"}}}
            """;
        var first = new RecordingSink();
        await harness.RunAsync(Graph, sink: first);
        var cached = new RecordingSink();
        await harness.RunAsync(Graph, sink: cached);
        foreach (var sink in new[] { first, cached })
        {
            Assert.True(sink.SerializedCount > 0);
            Assert.Empty(sink.SerializationMismatches);
        }
        Assert.Contains(first.OfType("progress_state"), d => d["nodes"]!.AsObject().ContainsKey("4.0.0.1"));
    }

    [Theory]
    [InlineData(null, "auto")]
    [InlineData("default", "auto")]
    [InlineData("no-such-method", "auto")]
    [InlineData("latent2rgb", "latent2rgb")]
    [InlineData("none", "none")]
    [InlineData("taesd", "taesd")]
    public async Task Extra_data_preview_method_overrides_the_flag_unless_default_or_unknown(string? requested, string expected)
    {
        var harness = new Harness(new CacheOptions(CacheMode.None));
        var extra = requested is null ? new JsonObject() : new JsonObject { ["preview_method"] = requested };
        var (_, record, _) = await harness.RunAsync("""{"1": {"class_type": "TestPreviewMethodProbe", "inputs": {}}}""",
            extraData: extra, defaultPreviewMethod: "auto");
        Assert.Equal($$"""{"text":["{{expected}}"]}""", record!.Outputs["1"]!.ToJsonString());
    }

    [Fact]
    public async Task For_loop_expansion_follows_the_verified_trace()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "TestCustomIsChanged", "inputs": {"image": ["2", 0]}},
             "4": {"class_type": "TestForLoopOpen", "inputs": {"remaining": 3, "initial_value1": ["3", 0]}},
             "5": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["1", 0], "input2": ["4", 2]}},
             "6": {"class_type": "TestForLoopClose", "inputs": {"flow_control": ["4", 0], "initial_value1": ["5", 0]}},
             "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        var expected = new[]
        {
            "2", "3", "4", "1", "5", "6",
            "6.0.0.1", "6.0.0.2", "6.0.0.3",
            "6.0.0.3.0.0.4", "6.0.0.3.0.0.5", "6.0.0.3.0.0.6.0.0.1", "6.0.0.3.0.0.6.0.0.2", "6.0.0.3.0.0.Recurse",
            "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.4", "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.5",
            "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.6.0.0.1", "6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.6.0.0.2",
            "6.0.0.3.0.0.Recurse.0.0.Recurse",
            "7",
        };
        Assert.Equal(expected, sink.Executing());
        var displays = sink.OfType("executing").ToDictionary(d => (string)d["node"]!, d => (string)d["display_node"]!);
        Assert.Equal("4", displays["6.0.0.3.0.0.4"]);
        Assert.Equal("5", displays["6.0.0.3.0.0.Recurse.0.0.6.0.0.3.0.0.5"]);
        Assert.Equal("6", displays["6.0.0.3.0.0.Recurse"]);
        Assert.Equal(31, record.Outputs["7"]!["images"]![0]!["pixel"]!.GetValue<int>());
    }

    [Fact]
    public async Task Lists_map_downstream_nodes_and_blocked_elements_disappear()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "TestMakeListNode", "inputs": {"value1": 1, "value2": 2, "value3": 3}},
             "2": {"class_type": "TestIntConditions", "inputs": {"a": ["1", 0], "b": 2, "operation": "=="}},
             "3": {"class_type": "TestCapture", "inputs": {"value": ["2", 0]}},
             "4": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "5": {"class_type": "TestExecutionBlocker", "inputs": {"input": ["4", 0], "block": ["2", 0], "verbose": false}},
             "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        Assert.Equal("""{"text":["False","True","False"]}""", record.Outputs["3"]!.ToJsonString());
        Assert.Equal(2, ((JsonArray)record.Outputs["6"]!["images"]!).Count);
        Assert.Empty(sink.OfType("execution_error"));
    }

    [Fact]
    public async Task Verbose_blocker_sends_the_blocked_variant_and_the_prompt_succeeds()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestExecutionBlocker", "inputs": {"input": ["1", 0], "block": true, "verbose": true}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        var blocked = sink.Messages.Single(m => m.Type == "execution_error");
        Assert.Equal(MessageTarget.ClientOrAll, blocked.Target);
        Assert.Equal("3", (string?)blocked.Data["node_id"]);
        Assert.Equal("SaveImage", (string?)blocked.Data["node_type"]);
        Assert.Equal("Execution Blocked: Blocked Execution", (string?)blocked.Data["exception_message"]);
        Assert.Equal("ExecutionBlocked", (string?)blocked.Data["exception_type"]);
        Assert.Null(blocked.Data["timestamp"]);
        Assert.Equal("{}", record.Outputs.ToJsonString());
    }

    [Fact]
    public async Task Dynamic_cycle_blames_the_expanding_node()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestDynamicDependencyCycle", "inputs": {"input1": ["1", 0], "input2": ["1", 0]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Error, record!.Outcome);
        Assert.Equal(["1", "2", "2.0.0.1", "2.0.0.3", "2.0.0.2"], sink.Executing());
        var error = sink.OfType("execution_error").Single();
        Assert.Equal("2", (string?)error["node_id"]);
        Assert.Equal("Dependency cycle detected", (string?)error["exception_message"]);
        Assert.Equal("graph.DependencyCycleError", (string?)error["exception_type"]);
        Assert.Equal("[]", error["current_inputs"]!.ToJsonString());
        Assert.Equal("[]", error["traceback"]!.ToJsonString());
    }

    [Fact]
    public async Task Mixed_expansion_returns_merge_per_list_element()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "TestMakeListNode", "inputs": {"value1": 0.1, "value2": 0.2, "value3": 0.3}},
             "2": {"class_type": "TestMixedExpansionReturns", "inputs": {"input1": ["1", 0]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["2", 1], "filename_prefix": "y"}}}
            """);
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        string[] executing = sink.Executing().Take(7).ToArray();
        Assert.Equal(["1", "2", "2.2.0.1", "2.2.0.4"], executing[..4]);
        // The reference evaluates the lazily requested inputs in Python set order (hash-seeded, not
        // stable): the capture shows .3 before .2, but either order is the reference's behaviour.
        Assert.Equal(["2.2.0.2", "2.2.0.3"], executing[4..6].Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("2.2.0.4", executing[6]);
        Assert.Equal([25, 51, 76], ((JsonArray)record.Outputs["3"]!["images"]!).Select(i => i!["pixel"]!.GetValue<int>()).ToArray());
        Assert.Equal([255, 255, 255], ((JsonArray)record.Outputs["4"]!["images"]!).Select(i => i!["pixel"]!.GetValue<int>()).ToArray());
    }

    [Fact]
    public async Task Parallel_sleeps_all_start_before_any_finishes_and_rerun_serves_outputs_from_cache()
    {
        var harness = new Harness();
        const string graph = """
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "4": {"class_type": "TestParallelSleep", "inputs": {"image1": ["1", 0], "image2": ["2", 0], "image3": ["3", 0], "sleep1": 0.1, "sleep2": 0.05, "sleep3": 0.02}},
             "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}}}
            """;
        var (_, record, sink) = await harness.RunAsync(graph);
        Assert.Equal(ExecutionOutcome.Success, record!.Outcome);
        var executing = sink.Executing();
        // The two identical WHITE stubs share one cache entry, so only one of them sends "executing".
        Assert.Equal(["4", "4.0.0.3", "4.0.0.2", "4.0.0.1", "4.0.0.4", "5"], executing.TakeLast(6).ToArray());
        Assert.Equal(8, executing.Count);
        int lastStart = sink.Messages.ToList().FindIndex(m => m.Type == "executing" && (string?)m.Data["node"] == "4.0.0.1");
        int firstProgressFinish = sink.Messages.ToList().FindIndex(m => m.Type == "progress_state"
            && ((JsonObject)m.Data["nodes"]!).Any(kv => kv.Key.StartsWith("4.0.0.", StringComparison.Ordinal) && (string?)kv.Value!["state"] == "finished"));
        Assert.True(lastStart < firstProgressFinish);
        Assert.Contains(sink.OfType("progress"), p => (string?)p["node"] == "4.0.0.1" && p["max"]!.ToJsonString() == "0.1");
        Assert.Equal(170, record.Outputs["5"]!["images"]![0]!["pixel"]!.GetValue<int>());

        var (_, _, cached) = await harness.RunAsync(graph);
        Assert.Empty(cached.Executing());
        Assert.Equal(["4", "5"], cached.OfType("executed").Select(e => (string)e["node"]!).Order().ToArray());
        Assert.Null(cached.OfType("executed").Single(e => (string?)e["node"] == "4")["output"]);
    }

    [Fact]
    public async Task Async_error_after_going_pending_has_empty_current_inputs()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestAsyncError", "inputs": {"value": ["1", 0], "error_after": 0.05}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Error, record!.Outcome);
        var error = sink.OfType("execution_error").Single();
        Assert.Equal("Intentional async execution error for testing\n", (string?)error["exception_message"]);
        Assert.Equal("{}", error["current_inputs"]!.ToJsonString());
        var (_, timeout, timeoutSink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestAsyncTimeout", "inputs": {"value": ["1", 0], "timeout": 0.2, "operation_time": 2.0}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(ExecutionOutcome.Error, timeout!.Outcome);
        Assert.Equal("Operation timed out after 0.2 seconds\n", (string?)timeoutSink.OfType("execution_error").Single()["exception_message"]);
    }

    [Fact]
    public async Task Interrupt_stops_a_sleeping_node_and_is_recorded_as_error()
    {
        var harness = new Harness();
        using var interrupt = new CancellationTokenSource();
        var sink = new RecordingSink { OnSend = type => { if (type == "progress") { interrupt.Cancel(); } } };
        var (_, record, _) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestSleep", "inputs": {"value": ["1", 0], "seconds": 30.0}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """, null, sink, interrupt: interrupt.Token);
        Assert.Equal(ExecutionOutcome.Interrupted, record!.Outcome);
        Assert.Equal("error", (string?)record.Status["status_str"]);
        var interrupted = sink.Messages.Single(m => m.Type == "execution_interrupted");
        Assert.Equal(MessageTarget.ClientOrAll, interrupted.Target);
        Assert.Equal("2", (string?)interrupted.Data["node_id"]);
        Assert.Equal("TestSleep", (string?)interrupted.Data["node_type"]);
        Assert.Equal("""["1"]""", interrupted.Data["executed"]!.ToJsonString());
        Assert.Equal("execution_interrupted", (string?)((JsonArray)record.Status["messages"]!)[2]![0]);
    }

    [Fact]
    public async Task Duplicate_signatures_share_one_entry()
    {
        var harness = new Harness();
        var (_, _, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["1", 0], "input2": ["2", 0]}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}}}
            """);
        Assert.Single(sink.Executing(), id => id is "1" or "2");
        var none = new Harness(new CacheOptions(CacheMode.None));
        var (_, _, noneSink) = await none.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "StubImage", "inputs": {"content": "BLACK", "height": 8, "width": 8, "batch_size": 1}},
             "3": {"class_type": "TestVariadicAverage", "inputs": {"input1": ["1", 0], "input2": ["2", 0]}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}}}
            """);
        Assert.Equal(2, noneSink.Executing().Count(id => id is "1" or "2"));
    }

    [Fact]
    public async Task Rebatching_like_input_is_list_nodes_and_partial_targets_run_dependencies()
    {
        var harness = new Harness();
        var (_, record, sink) = await harness.RunAsync("""
            {"1": {"class_type": "StubImage", "inputs": {"content": "WHITE", "height": 8, "width": 8, "batch_size": 1}},
             "2": {"class_type": "TestOutputNodeWithSocketOutput", "inputs": {"image": ["1", 0], "value": 0.5}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}}}
            """, ["3"]);
        Assert.Equal(["1", "2", "3"], sink.Executing());
        Assert.Equal(127, record!.Outputs["3"]!["images"]![0]!["pixel"]!.GetValue<int>());
    }

    [Fact]
    public async Task Deep_chain_of_ten_thousand_nodes_validates_and_runs_without_building_unheard_snapshots()
    {
        var harness = new Harness();
        const int length = 10_000;
        string Id(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var graph = new JsonObject { ["0"] = new JsonObject { ["class_type"] = "StubInt", ["inputs"] = new JsonObject { ["value"] = 0 } } };
        for (int i = 1; i < length; i++)
        {
            graph[Id(i)] = new JsonObject
            {
                ["class_type"] = "TestAddOne",
                ["inputs"] = new JsonObject { ["value"] = new JsonArray(Id(i - 1), 0) },
            };
        }
        graph["out"] = new JsonObject { ["class_type"] = "TestCapture", ["inputs"] = new JsonObject { ["value"] = new JsonArray(Id(length - 1), 0) } };
        // Nobody listens: each progress_state would list every node started so far (quadratic in the
        // chain), so the executor must not build them at all, while history still gets its messages.
        var sink = new RecordingSink { Listening = false };
        var (_, record, _) = await harness.RunAsync(graph.ToJsonString(), sink: sink);
        Assert.Equal($$$"""{"text":["{{{length - 1}}}"]}""", record!.Outputs["out"]!.ToJsonString());
        Assert.Empty(sink.OfType("progress_state"));
        Assert.Equal(length + 1, sink.Executing().Count(id => id is not null));
        Assert.Equal(["execution_start", "execution_cached", "execution_success"],
            record.Status["messages"]!.AsArray().Select(m => (string)m![0]!).ToArray());
    }

    [Fact]
    public async Task Wide_fan_in_runs_every_input_first_in_queue_order()
    {
        // 2,000 ready nodes at once: the friendly pick must not rescan them all for every step.
        var harness = new Harness();
        const int width = 2_000;
        string Id(int i) => "c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var graph = new JsonObject();
        var sum = new JsonObject();
        for (int i = 0; i < width; i++)
        {
            graph[Id(i)] = new JsonObject { ["class_type"] = "StubInt", ["inputs"] = new JsonObject { ["value"] = i } };
        }
        graph["last"] = new JsonObject { ["class_type"] = "TestAddOne", ["inputs"] = new JsonObject { ["value"] = new JsonArray(Id(width - 1), 0) } };
        graph["out"] = new JsonObject { ["class_type"] = "TestCapture", ["inputs"] = new JsonObject { ["value"] = new JsonArray("last", 0) } };
        for (int i = 0; i < width - 1; i++)
        {
            graph["o" + Id(i)] = new JsonObject { ["class_type"] = "TestCapture", ["inputs"] = new JsonObject { ["value"] = new JsonArray(Id(i), 0) } };
        }
        var (_, record, sink) = await harness.RunAsync(graph.ToJsonString(), sink: new RecordingSink { Listening = false });
        Assert.Equal("""{"text":["2000"]}""", record!.Outputs["out"]!.ToJsonString());
        var executing = sink.Executing();
        Assert.Equal(2 * width + 1, executing.Count);
        // Output nodes go as soon as their input is ready, so every StubInt is followed by its output.
        Assert.Equal(["c0", "oc0", "c1", "oc1"], executing.Take(4).ToArray());
    }
}
