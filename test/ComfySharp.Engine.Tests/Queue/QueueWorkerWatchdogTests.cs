using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Engine.Tests.Support;
using Xunit;

namespace ComfySharp.Engine.Tests.Queue;

/// <summary>
/// The watchdog of issue 22: a prompt running past <see cref="QueueWorkerOptions.MaxExecutionTime"/> is
/// interrupted and recorded, and the worker goes on, also when the run ignores the interrupt (a node stuck
/// in native code). Failures the worker handles are logged with their exception. No timing is asserted:
/// the test waits, with a generous bound, for the records to appear.
/// </summary>
public sealed class QueueWorkerWatchdogTests
{
    private sealed class ScriptedRunner : IPromptRunner
    {
        public TaskCompletionSource ReleaseStuck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public (string DisplayNodeId, string? ClientId)? Current => null;

        public async Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
        {
            switch (prompt.PromptId)
            {
                case "stuck":
                    await ReleaseStuck.Task.ConfigureAwait(false); // ignores the interrupt, like native code
                    break;
                case "slow":
                    await Task.Delay(Timeout.Infinite, interrupt).ConfigureAwait(false); // honours it
                    break;
                case "throws":
                    throw new InvalidOperationException("the runner itself failed");
            }
            return new ExecutionRecord(ExecutionOutcome.Success, [], [], new JsonObject { ["status_str"] = "success", ["completed"] = true, ["messages"] = new JsonArray() });
        }

        public void ClearCaches()
        {
        }
    }

    private static QueuedPrompt Prompt(string id, double number) => new(number, false, id, [], [], ["1"]);

    [Fact]
    public async Task Prompts_past_the_limit_are_interrupted_and_recorded_and_the_worker_goes_on()
    {
        var store = new MemoryOnlyStore();
        var sink = new RecordingSink();
        var queue = new PromptQueue(store, sink);
        var history = new PromptHistory(store);
        var runner = new ScriptedRunner();
        var logged = new ConcurrentQueue<(string Message, Exception Error)>();
        var options = new QueueWorkerOptions(MaxExecutionTime: TimeSpan.FromMilliseconds(100), LogFailure: (m, e) => logged.Enqueue((m, e)))
        {
            WatchdogGrace = TimeSpan.FromMilliseconds(100),
        };
        await using var worker = new QueueWorker(queue, history, runner, sink, options);
        worker.Start();
        queue.Enqueue(Prompt("stuck", 0));
        queue.Enqueue(Prompt("slow", 1));
        queue.Enqueue(Prompt("throws", 2));
        queue.Enqueue(Prompt("fine", 3));

        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (history.Count < 4 && DateTime.UtcNow < end)
        {
            await Task.Delay(20);
        }
        runner.ReleaseStuck.SetResult();

        Assert.Equal("ExecutionTimeout", ExceptionType(history.Get("stuck")));
        Assert.Equal("error", (string?)history.Get("slow")?["status"]?["status_str"]);
        Assert.Equal("System.InvalidOperationException", ExceptionType(history.Get("throws")));
        Assert.Equal("success", (string?)history.Get("fine")?["status"]?["status_str"]);
        Assert.Contains(logged, l => l.Message.Contains("stuck", StringComparison.Ordinal) && l.Error is TimeoutException);
        Assert.Contains(logged, l => l.Message.Contains("throws", StringComparison.Ordinal) && l.Error is InvalidOperationException);
    }

    private static string? ExceptionType(JsonObject? entry) =>
        (string?)((entry?["status"]?["messages"] as JsonArray)?[0] as JsonArray)?[1]?["exception_type"];
}
