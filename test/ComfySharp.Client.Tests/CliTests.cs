using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ComfySharp.Cli;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Client.Tests;

public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string WriteWorkflow(string dir, string text)
    {
        string path = Path.Combine(dir, "workflow.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Run_api_workflow_with_overrides_downloads_files_and_exits_zero()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        string dir = TestPaths.NewTempDirectory("cli-run");
        string workflow = WriteWorkflow(dir, Servers.SleepGraph(0.05, "cli/first").ToJsonString());
        string outDir = Path.Combine(dir, "out");
        (int code, string stdout, string stderr) = await RunCliAsync("run", workflow, "--server", server.BaseAddress.ToString(), "--out", outDir,
            "--set", "3.filename_prefix=cli/changed", "--set", "StubImage.width=12");
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);
        string saved = Path.Combine(outDir, "cli", "changed_00001_.png");
        Assert.True(File.Exists(saved), stdout);
        Assert.Contains("[2] TestSleep: running", stdout, StringComparison.Ordinal);
        Assert.Contains("[2] TestSleep: step", stdout, StringComparison.Ordinal);
        Assert.Contains($"saved {saved}", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(server.Directories.Output, "cli", "changed_00001_.png")));
    }

    [Fact]
    public async Task Run_ui_format_workflow_converts_with_object_info()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        string dir = TestPaths.NewTempDirectory("cli-ui");
        const string ui = """
        {"last_node_id": 3, "nodes": [
          {"id": 1, "type": "StubImage", "mode": 0, "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": ["BLACK", 8, 24, 1]},
          {"id": 3, "type": "Note", "mode": 0, "widgets_values": ["ignore me"]},
          {"id": 2, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "widgets_values": ["ui/converted"]}],
         "links": [[1, 1, 0, 2, 0, "IMAGE"]], "version": 0.4}
        """;
        string outDir = Path.Combine(dir, "out");
        (int code, string stdout, string stderr) = await RunCliAsync("run", WriteWorkflow(dir, ui), "--server", server.BaseAddress.ToString(), "--out", outDir);
        Assert.True(code == 0, stderr + stdout);
        string saved = Path.Combine(outDir, "ui", "converted_00001_.png");
        Assert.True(File.Exists(saved));
        using SkiaSharp.SKBitmap bitmap = SkiaSharp.SKBitmap.Decode(saved);
        Assert.Equal((24, 8), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public async Task Failed_run_exits_non_zero()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        string dir = TestPaths.NewTempDirectory("cli-fail");
        var builder = new WorkflowBuilder();
        WorkflowNode image = builder.Add("StubImage", new { content = "WHITE", height = 8, width = 8, batch_size = 1 });
        WorkflowNode error = builder.Add("TestSyncError").Link("value", image);
        builder.Add("SaveImage").Link("images", error).Set("filename_prefix", "fail/x");
        JsonObject graph = builder.Build();
        (int code, _, string stderr) = await RunCliAsync("run", WriteWorkflow(dir, graph.ToJsonString()), "--server", server.BaseAddress.ToString(), "--out", dir);
        Assert.Equal(CliApp.ExitFailed, code);
        Assert.Contains("Intentional sync execution error", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Bad_inputs_give_one_line_and_distinct_exit_codes()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        string url = server.BaseAddress.ToString();
        string dir = TestPaths.NewTempDirectory("cli-bad");

        (int code, _, string stderr) = await RunCliAsync("run", WriteWorkflow(dir, "this is not json"), "--server", url);
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("not valid JSON", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunCliAsync("run", Path.Combine(dir, "missing.json"), "--server", url);
        Assert.Equal(CliApp.ExitBadInput, code);

        (code, _, stderr) = await RunCliAsync("run", WriteWorkflow(dir, """{"1": {"class_type": "NoSuchNode", "inputs": {}}}"""), "--server", url);
        Assert.Equal(CliApp.ExitRejected, code);
        Assert.Contains("NoSuchNode", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));

        (code, _, stderr) = await RunCliAsync("run", WriteWorkflow(dir, """{"nodes": [{"id": 1, "type": "NoSuchNode", "widgets_values": []}], "links": []}"""), "--server", url);
        Assert.Equal(CliApp.ExitBadInput, code);
        Assert.Contains("NoSuchNode", stderr, StringComparison.Ordinal);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (code, _, stderr) = await RunCliAsync("run", WriteWorkflow(dir, Servers.SaveGraph().ToJsonString()), "--server", $"http://127.0.0.1:{closedPort}");
        Assert.Equal(CliApp.ExitUnreachable, code);
        Assert.StartsWith("comfysharp: error: cannot reach", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Other_subcommands_talk_to_the_server()
    {
        await using ComfyTestServer server = await Servers.StartAsync();
        string url = server.BaseAddress.ToString();
        string dir = TestPaths.NewTempDirectory("cli-misc");

        (int code, string stdout, _) = await RunCliAsync("nodes", "stub", "--server", url);
        Assert.Equal(0, code);
        Assert.Contains("StubImage", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SaveImage", stdout, StringComparison.Ordinal);

        (code, stdout, _) = await RunCliAsync("models", "--server", url);
        Assert.Equal(0, code);
        Assert.Contains("checkpoints", stdout.Split('\n').Select(l => l.Trim()));

        string image = Path.Combine(dir, "pic.png");
        await File.WriteAllBytesAsync(image, [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
        (code, stdout, _) = await RunCliAsync("upload", image, "--server", url, "--subfolder", "sub");
        Assert.Equal(0, code);
        Assert.Equal("input/sub/pic.png", stdout.Trim());
        Assert.True(File.Exists(Path.Combine(server.Directories.Input, "sub", "pic.png")));

        (code, _, _) = await RunCliAsync("run", WriteWorkflow(dir, Servers.SaveGraph("misc/a").ToJsonString()), "--server", url, "--out", dir);
        Assert.Equal(0, code);
        (code, stdout, _) = await RunCliAsync("history", "--server", url);
        Assert.Equal(0, code);
        Assert.Contains("success", stdout, StringComparison.Ordinal);
        (code, stdout, _) = await RunCliAsync("queue", "--server", url);
        Assert.Equal(0, code);
        Assert.Contains("0 running, 0 pending", stdout, StringComparison.Ordinal);
        (code, stdout, _) = await RunCliAsync("interrupt", "--server", url);
        Assert.Equal(0, code);
        (code, stdout, _) = await RunCliAsync("jobs", "--server", url, "--status", "completed");
        Assert.Equal(0, code);
        Assert.Contains("completed", stdout, StringComparison.Ordinal);
        (code, stdout, _) = await RunCliAsync("status", "--server", url);
        Assert.Equal(0, code);
        Assert.StartsWith("version ", stdout, StringComparison.Ordinal);
    }
}
