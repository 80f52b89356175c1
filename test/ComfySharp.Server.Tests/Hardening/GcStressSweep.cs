using System.Globalization;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Runs one prompt per node class on a real server while a thread of the same process forces garbage collections
/// and finalizers without pause (the TorchSharp finalizer race frees any tensor or Scalar that is not kept alive),
/// and sorts what happened: ran, failed with a node error, refused at validation, or a .NET programming error
/// leaking out of a node (null reference, bad cast, index out of range), which is a bug.
/// </summary>
internal sealed class GcStressSweep
{
    // Errors that are bugs in a node, never a clear answer to bad input.
    private static readonly string[] ProgrammingErrors =
    [
        "Object reference not set", "Unable to cast object", "Index was outside the bounds", "Specified cast is not valid",
        "Arithmetic operation resulted in an overflow", "Collection was modified", "Sequence contains no elements",
        "The given key", "Nullable object must have a value",
    ];

    public List<string> Ran { get; } = [];

    public List<string> FailedCleanly { get; } = [];

    public List<string> Refused { get; } = [];

    public List<string> Bugs { get; } = [];

    public int Skipped { get; private set; }

    public long Collections { get; private set; }

    private readonly List<(string ClassType, double Seconds)> _times = [];

    /// <summary>
    /// Builds a graph for every class of <paramref name="catalogue"/> that <paramref name="build"/> can feed (null =
    /// skipped) and runs them one after another under forced collections; ends by checking the server is healthy.
    /// </summary>
    /// <remarks>
    /// <paramref name="pause"/> between collections (zero: none) keeps the server answering HTTP when each class runs a
    /// full-size UNet: a forced collection stops every managed thread, Kestrel's included.
    /// </remarks>
    public static async Task<GcStressSweep> RunAsync(ComfyTestServer server, JsonObject catalogue, Func<string, JsonObject, JsonObject?> build,
        TimeSpan perPrompt, TimeSpan pause = default)
    {
        var sweep = new GcStressSweep();
        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
                if (pause > TimeSpan.Zero)
                {
                    Thread.Sleep(pause);
                }
            }
        }) { IsBackground = true, Name = "gc-stress" };
        collector.Start();
        try
        {
            foreach ((string classType, JsonNode? info) in catalogue)
            {
                JsonObject? graph = build(classType, (JsonObject)info!);
                if (graph is null)
                {
                    sweep.Skipped++;
                    continue;
                }
                await sweep.RunOneAsync(server, classType, graph, perPrompt).ConfigureAwait(false);
            }
            await HardeningServer.AssertHealthyAsync(server).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            collector.Join();
        }
        sweep.Collections = Interlocked.Read(ref collections);
        return sweep;
    }

    private async Task RunOneAsync(ComfyTestServer server, string classType, JsonObject graph, TimeSpan perPrompt)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (status, body) = await HardeningServer.PostPromptAsync(server, graph).ConfigureAwait(false);
        if (status == 400)
        {
            Refused.Add($"{classType}: {Short(body)}");
            return;
        }
        Assert.True(status == 200, $"{classType} answered {status}: {body}");
        string id = (string)PythonJson.Parse(body)!["prompt_id"]!;
        JsonObject entry;
        try
        {
            entry = await HardeningServer.WaitForHistoryAsync(server, id, perPrompt).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{classType} ran for over {perPrompt.TotalSeconds} s: {graph.ToJsonString()}");
            throw;
        }
        _times.Add((classType, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds));
        if ((string?)entry["status"]?["status_str"] == "success")
        {
            Ran.Add(classType);
            return;
        }
        string error = ErrorOf(entry);
        FailedCleanly.Add($"{classType}: {error}");
        if (ProgrammingErrors.Any(e => error.Contains(e, StringComparison.Ordinal)))
        {
            Bugs.Add($"{classType}: {error}");
        }
    }

    /// <summary>Writes the counts, the slowest classes and every failure to the test output.</summary>
    public void Report(ITestOutputHelper output, string label)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {Ran.Count} ran, {FailedCleanly.Count} failed with a node error, {Refused.Count} refused at validation, {Skipped} skipped; {Collections} forced collections"));
        output.WriteLine("slowest: " + string.Join(", ", _times.OrderByDescending(t => t.Seconds).Take(5)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.ClassType} {t.Seconds:F1} s"))));
        foreach (string line in FailedCleanly.Concat(Refused))
        {
            output.WriteLine("  " + line);
        }
    }

    /// <summary>Fails the test when a programming error leaked out of a node.</summary>
    public void AssertNoBugs() => Assert.True(Bugs.Count == 0, "programming errors leaked out of nodes:\n" + string.Join('\n', Bugs));

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
