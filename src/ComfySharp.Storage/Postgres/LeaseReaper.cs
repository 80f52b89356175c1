using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// Takes back prompts whose worker died (<see cref="PostgresWorkQueue.ReapExpiredAsync"/>) and tells
/// their clients: a retried prompt is announced in the log only; a prompt given up gets its
/// <c>execution_error</c> and the final <c>executing</c> like any failed prompt.
/// </summary>
/// <param name="work">The shared queue.</param>
/// <param name="sink">Where the client messages go (a worker's relay, or an API node's hub).</param>
/// <param name="maxAttempts">Attempts before a lost prompt is recorded as failed.</param>
/// <param name="log">Receives a line per prompt taken back.</param>
public sealed class LeaseReaper(PostgresWorkQueue work, IExecutionMessageSink sink, int maxAttempts, Action<string>? log = null)
{
    /// <summary>The <c>exception_type</c> recorded for a prompt whose worker was lost.</summary>
    public const string LostExceptionType = "WorkerLost";

    /// <summary>Runs one pass; returns the prompts taken back.</summary>
    public async Task<IReadOnlyList<LostPrompt>> ReapAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<LostPrompt> lost = await work.ReapExpiredAsync(maxAttempts,
            (prompt, reason) => PromptHistory.EntryJson(prompt, QueueWorker.FailedRecord(prompt, LostExceptionType, reason)), cancellationToken).ConfigureAwait(false);
        foreach (LostPrompt l in lost)
        {
            log?.Invoke(l.Requeued
                ? $"Prompt {l.Prompt.PromptId} lost its worker '{l.Worker}' (attempt {l.Attempts}); queued again."
                : $"Prompt {l.Prompt.PromptId} lost its worker '{l.Worker}' (attempt {l.Attempts} of {maxAttempts}); recorded as failed.");
            if (!l.Requeued)
            {
                var error = (System.Text.Json.Nodes.JsonObject)QueueWorker.FailedRecord(l.Prompt, LostExceptionType, "The worker running this prompt was lost.")
                    .Status["messages"]![0]![1]!.DeepClone();
                sink.Send(MessageTypes.ExecutionError, error, MessageTarget.ClientOnly, l.Prompt.ClientId);
                sink.Send(MessageTypes.Executing, Messages.ExecutingDone(l.Prompt.PromptId), MessageTarget.ClientOnly, l.Prompt.ClientId);
            }
        }
        return lost;
    }
}
