using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Issue 22: every registered node class whose inputs can be made without a model file runs on the real
/// server while another thread of the same process forces garbage collections and finalizers without pause
/// (the TorchSharp finalizer race frees any tensor or Scalar that is not kept alive). Each class runs with
/// its widgets at their defaults, at their minimums and at their maximums, fed by small images, masks and
/// latents. A node may fail with a clear error (a size over the limit is a <c>ValueError</c>), but the process
/// must survive, no failure may be a .NET programming error leaking out (null reference, bad cast, index out of
/// range), and a valid prompt must still run at the end.
/// </summary>
public sealed class EveryNodeGcStressTests(ITestOutputHelper output)
{
    // Errors that are bugs in a node, never a clear answer to bad input.
    private static readonly string[] ProgrammingErrors =
    [
        "Object reference not set", "Unable to cast object", "Index was outside the bounds", "Specified cast is not valid",
        "Arithmetic operation resulted in an overflow", "Collection was modified", "Sequence contains no elements",
        "The given key", "Nullable object must have a value",
    ];

    public enum Widgets { Default, Minimum, Maximum }

    [Theory]
    [InlineData(Widgets.Default)]
    [InlineData(Widgets.Minimum)]
    [InlineData(Widgets.Maximum)]
    public async Task Every_model_free_node_runs_or_fails_cleanly_while_collections_run(Widgets widgets)
    {
        // A low tensor limit (16 MiB of float32): maximum widgets must meet it as a node error before libtorch
        // allocates, so a node that skips the check shows up as a slow or hanging class here.
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
        {
            s.TestNodes = false;
            s.ConfigureServices = services => services.AddSingleton(new ServerOptions { MaxTensorElements = 1L << 22 });
        });
        await ProvideInputImageAsync(server);
        JsonObject catalogue = (JsonObject)(await server.GetJsonAsync("object_info"))!;

        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true, Name = "gc-stress" };
        collector.Start();
        var ran = new List<string>();
        var failedCleanly = new List<string>();
        var refused = new List<string>();
        var bugs = new List<string>();
        int skipped = 0;
        var times = new List<(string ClassType, double Seconds)>();
        try
        {
            foreach ((string classType, JsonNode? info) in catalogue)
            {
                JsonObject? graph = NodeGraphs.Build(classType, (JsonObject)info!, widgets);
                if (graph is null)
                {
                    skipped++;
                    continue;
                }
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var (status, body) = await HardeningServer.PostPromptAsync(server, graph);
                if (status == 400)
                {
                    refused.Add($"{classType}: {Short(body)}");
                    continue;
                }
                Assert.True(status == 200, $"{classType} answered {status}: {body}");
                string id = (string)PythonJson.Parse(body)!["prompt_id"]!;
                JsonObject entry;
                try
                {
                    entry = await HardeningServer.WaitForHistoryAsync(server, id);
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"{classType} ({widgets}) ran for over a minute on a 24×16 image: {graph.ToJsonString()}");
                    throw;
                }
                times.Add((classType, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds));
                if ((string?)entry["status"]?["status_str"] == "success")
                {
                    ran.Add(classType);
                    continue;
                }
                string error = ErrorOf(entry);
                failedCleanly.Add($"{classType}: {error}");
                if (ProgrammingErrors.Any(e => error.Contains(e, StringComparison.Ordinal)))
                {
                    bugs.Add($"{classType}: {error}");
                }
            }
            await HardeningServer.AssertHealthyAsync(server);
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{widgets}: {ran.Count} ran, {failedCleanly.Count} failed with a node error, {refused.Count} refused at validation, {skipped} need a model or file; {Interlocked.Read(ref collections)} forced collections"));
        output.WriteLine("slowest: " + string.Join(", ", times.OrderByDescending(t => t.Seconds).Take(5).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.ClassType} {t.Seconds:F1} s"))));
        foreach (string line in failedCleanly.Concat(refused))
        {
            output.WriteLine("  " + line);
        }
        Assert.True(bugs.Count == 0, "programming errors leaked out of nodes:\n" + string.Join('\n', bugs));
        // The harness itself must keep reaching the catalogue: with defaults nearly every model-free class succeeds.
        Assert.True(ran.Count >= (widgets == Widgets.Default ? 100 : 60), $"only {ran.Count} classes ran: {string.Join(", ", ran)}");
    }

    /// <summary>Saves one PNG through the server and copies it into input/, so LoadImage-style nodes have a file.</summary>
    private static async Task ProvideInputImageAsync(ComfyTestServer server)
    {
        var (status, body) = await HardeningServer.PostPromptAsync(server, HardeningServer.ValidGraph("stress"));
        Assert.Equal(200, status);
        await HardeningServer.WaitForHistoryAsync(server, (string)PythonJson.Parse(body)!["prompt_id"]!);
        string saved = Directory.GetFiles(server.Directories.Output, "stress*.png").First();
        File.Copy(saved, Path.Combine(server.Directories.Input, "example.png"));
    }

    private static string ErrorOf(JsonObject entry)
    {
        foreach (JsonNode? message in entry["status"]?["messages"]?.AsArray() ?? [])
        {
            if ((string?)message?[0] == "execution_error")
            {
                JsonNode data = message![1]!;
                return $"{(string?)data["exception_type"]}: {Short((string?)data["exception_message"] ?? "")}";
            }
        }
        return "no execution_error message";
    }

    private static string Short(string text) => text.Length > 240 ? text[..240] + "…" : text.ReplaceLineEndings(" ");
}
