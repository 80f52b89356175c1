using ComfySharp.Engine;

namespace ComfySharp.Storage.Postgres;

/// <summary>A prompt whose worker stopped renewing its lease.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Worker">The worker that held it.</param>
/// <param name="Attempts">Attempts made so far.</param>
/// <param name="Requeued">True when it went back to the queue; false when it was recorded as failed.</param>
public sealed record LostPrompt(QueuedPrompt Prompt, string Worker, int Attempts, bool Requeued);
