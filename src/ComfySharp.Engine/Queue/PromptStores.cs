namespace ComfySharp.Engine.Queue;

/// <summary>A queue item with the store's sequence number (prompt ids are not unique).</summary>
/// <param name="Sequence">Unique, increasing per store.</param>
/// <param name="Prompt">The queued prompt.</param>
public sealed record QueueEntry(long Sequence, QueuedPrompt Prompt)
{
    /// <summary>
    /// <c>extra_data.priority</c> (a ComfySharp extension): higher runs first, ties by number. 0 when
    /// absent or not a number, so the reference's order is untouched unless a client asks.
    /// </summary>
    public double Priority { get; } = PriorityOf(Prompt);

    private static double PriorityOf(QueuedPrompt prompt) =>
        prompt?.ExtraData["priority"] is System.Text.Json.Nodes.JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && v.TryGetValue(out double d) && double.IsFinite(d) ? d : 0;
}

/// <summary>
/// A queue store whose prompt numbers several processes share (scale-out API nodes): numbers come from
/// the store, so prompts accepted by different processes are ordered by arrival, not by each process's
/// own counter.
/// </summary>
public interface ISharedQueueNumbers
{
    /// <summary>False when this store is the only process's (then the queue keeps its own counter).</summary>
    bool SharesNumbers { get; }

    /// <summary>The next number (0, 1, 2, …, shared by every process).</summary>
    long NextNumber();
}

/// <summary>Durable queue: what is pending and what was running when the server stopped.</summary>
public interface IQueueStore
{
    /// <summary>Items left from the previous run: pending ones and the ones that were running.</summary>
    (IReadOnlyList<QueueEntry> Pending, IReadOnlyList<QueueEntry> Running) LoadQueue();

    /// <summary>Stores a newly accepted item.</summary>
    void AddPending(QueueEntry entry);

    /// <summary>Marks an item as taken by the worker.</summary>
    void MarkRunning(long sequence);

    /// <summary>Removes an item (finished or deleted).</summary>
    void RemoveQueued(long sequence);

    /// <summary>
    /// The sequence number of a new item. A store shared by several processes (PostgreSQL) hands out
    /// its own, unique across them; a store owned by one process keeps the queue's <paramref name="proposed"/>.
    /// </summary>
    long NextSequence(long proposed) => proposed;
}

/// <summary>Durable history, in insertion order.</summary>
public interface IHistoryStore
{
    /// <summary>Every stored entry as its <see cref="ComfySharp.Protocol.PythonJson"/> text (ASCII), oldest first.</summary>
    IReadOnlyList<(string PromptId, byte[] EntryJson)> LoadHistory();

    /// <summary>
    /// Inserts an entry given as its <see cref="ComfySharp.Protocol.PythonJson"/> text (ASCII), or
    /// replaces the entry of the same id keeping its position. The array is not changed afterwards.
    /// </summary>
    void PutHistory(string promptId, byte[] entryJson);

    /// <summary>Deletes one entry (no-op when unknown).</summary>
    void DeleteHistory(string promptId);

    /// <summary>Deletes every entry.</summary>
    void ClearHistory();
}

/// <summary>A store that keeps nothing (history and queue live in memory only, like the reference).</summary>
public sealed class MemoryOnlyStore : IQueueStore, IHistoryStore
{
    /// <inheritdoc />
    public (IReadOnlyList<QueueEntry> Pending, IReadOnlyList<QueueEntry> Running) LoadQueue() => ([], []);

    /// <inheritdoc />
    public void AddPending(QueueEntry entry)
    {
    }

    /// <inheritdoc />
    public void MarkRunning(long sequence)
    {
    }

    /// <inheritdoc />
    public void RemoveQueued(long sequence)
    {
    }

    /// <inheritdoc />
    public IReadOnlyList<(string PromptId, byte[] EntryJson)> LoadHistory() => [];

    /// <inheritdoc />
    public void PutHistory(string promptId, byte[] entryJson)
    {
    }

    /// <inheritdoc />
    public void DeleteHistory(string promptId)
    {
    }

    /// <inheritdoc />
    public void ClearHistory()
    {
    }
}
