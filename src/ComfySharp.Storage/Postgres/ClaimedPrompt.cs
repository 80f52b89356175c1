using ComfySharp.Engine;

namespace ComfySharp.Storage.Postgres;

/// <summary>A prompt a worker holds under lease.</summary>
/// <param name="Sequence">The queue row.</param>
/// <param name="Attempt">Which attempt this is (1 for the first); a lease is identified by row, worker and attempt.</param>
/// <param name="Prompt">The prompt.</param>
public sealed record ClaimedPrompt(long Sequence, int Attempt, QueuedPrompt Prompt)
{
    /// <summary>How long the prompt waited in the queue (database clock, from insert to claim).</summary>
    public double WaitedMilliseconds { get; init; }
}
