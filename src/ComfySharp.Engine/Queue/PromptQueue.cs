using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Engine.Queue;

/// <summary>
/// The prompt queue (EXECUTION.md §14.1): a heap ordered by <c>(number, prompt_id)</c>, at most one
/// running item, the priority counter, and a <c>status</c> broadcast whenever the queue size changes.
/// Thread-safe; persisted through an <see cref="IQueueStore"/>.
/// </summary>
public sealed class PromptQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HeapOrder<QueueEntry> _pending = new(Compare);
    private readonly IQueueStore _store;
    private readonly IExecutionMessageSink _sink;
    private readonly SemaphoreSlim _wake = new(0);
    private QueueEntry? _running;
    private bool _paused;
    private long _counter;
    private long _nextSequence = 1;

    /// <summary>Creates a queue, restoring pending items from the store. Items that were running are in <see cref="Abandoned"/>.</summary>
    public PromptQueue(IQueueStore store, IExecutionMessageSink sink)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        var (pending, running) = store.LoadQueue();
        foreach (QueueEntry entry in pending)
        {
            _pending.Push(entry);
        }
        Abandoned = running;
        long maxSequence = pending.Concat(running).Select(e => e.Sequence).DefaultIfEmpty(0).Max();
        _nextSequence = maxSequence + 1;
        // Restored items keep their numbers; new prompts must still queue behind them.
        double maxNumber = pending.Select(e => e.Prompt.Number).DefaultIfEmpty(-1).Max();
        _counter = Math.Max(0, (long)Math.Floor(maxNumber) + 1);
        if (_pending.Count > 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Items that were running when the previous server process stopped.</summary>
    public IReadOnlyList<QueueEntry> Abandoned { get; }

    /// <summary>Pending items plus the running one (which counts until its history entry is stored).</summary>
    public int Remaining
    {
        get
        {
            lock (_lock)
            {
                return RemainingLocked;
            }
        }
    }

    private int RemainingLocked => _pending.Count + (_running is null ? 0 : 1);

    /// <summary>Assigns the next default priority: the counter, or its negation for <paramref name="front"/>. Advances the counter.</summary>
    public long NextNumber(bool front)
    {
        if (_store is ISharedQueueNumbers { SharesNumbers: true } shared)
        {
            long next = shared.NextNumber();
            return front ? -next : next;
        }
        lock (_lock)
        {
            long n = _counter++;
            return front ? -n : n;
        }
    }

    /// <summary>Queues an accepted prompt and broadcasts <c>status</c>.</summary>
    public void Enqueue(QueuedPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        lock (_lock)
        {
            var entry = new QueueEntry(_store.NextSequence(_nextSequence++), prompt);
            _store.AddPending(entry);
            _pending.Push(entry);
            BroadcastStatusLocked();
        }
        _wake.Release();
    }

    /// <summary>The running prompt and the pending prompts in heap-array order.</summary>
    public (QueuedPrompt? Running, IReadOnlyList<QueuedPrompt> Pending) Snapshot()
    {
        lock (_lock)
        {
            return (_running?.Prompt, _pending.Items.Select(e => e.Prompt).ToList());
        }
    }

    /// <summary>Removes the first pending item with this id; broadcasts <c>status</c> when removed.</summary>
    public bool Delete(string promptId)
    {
        lock (_lock)
        {
            for (int i = 0; i < _pending.Count; i++)
            {
                QueueEntry entry = _pending.Items[i];
                if (entry.Prompt.PromptId == promptId)
                {
                    _pending.RemoveAt(i);
                    _store.RemoveQueued(entry.Sequence);
                    BroadcastStatusLocked();
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Drops every pending item (the running one is untouched); one <c>status</c> per removal.</summary>
    public void ClearPending()
    {
        lock (_lock)
        {
            while (_pending.Count > 0)
            {
                QueueEntry entry = _pending.Items[^1];
                _pending.RemoveAt(_pending.Count - 1);
                _store.RemoveQueued(entry.Sequence);
                BroadcastStatusLocked();
            }
        }
    }

    /// <summary>
    /// Waits for the smallest pending item, marks it running and broadcasts <c>status</c>. Returns null
    /// when woken by <see cref="Wake"/> with nothing pending.
    /// </summary>
    public async Task<QueueEntry?> TakeAsync(CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_running is not null || _pending.Count == 0 || _paused)
            {
                return null;
            }
            QueueEntry entry = _pending.Pop();
            _running = entry;
            _store.MarkRunning(entry.Sequence);
            BroadcastStatusLocked();
            return entry;
        }
    }

    /// <summary>True while the worker is paused: pending items stay queued and nothing new starts.</summary>
    public bool IsPaused
    {
        get
        {
            lock (_lock)
            {
                return _paused;
            }
        }
    }

    /// <summary>Pauses or resumes taking items (the running one, if any, goes on). Returns the previous state.</summary>
    public bool SetPaused(bool paused)
    {
        bool was;
        lock (_lock)
        {
            was = _paused;
            _paused = paused;
        }
        if (was && !paused)
        {
            _wake.Release();
        }
        return was;
    }

    /// <summary>The pending or running prompt with this id, or null.</summary>
    public QueuedPrompt? Find(string promptId)
    {
        lock (_lock)
        {
            if (_running?.Prompt.PromptId == promptId)
            {
                return _running.Prompt;
            }
            return _pending.Items.FirstOrDefault(e => e.Prompt.PromptId == promptId)?.Prompt;
        }
    }

    /// <summary>
    /// Moves a pending item ahead of every other pending item of its priority: it gets a number below
    /// the smallest pending one (kept durable: the stored row is replaced). False when not pending.
    /// </summary>
    public bool MoveToFront(string promptId)
    {
        lock (_lock)
        {
            int index = -1;
            for (int i = 0; i < _pending.Count; i++)
            {
                if (_pending.Items[i].Prompt.PromptId == promptId)
                {
                    index = i;
                    break;
                }
            }
            if (index < 0)
            {
                return false;
            }
            QueueEntry entry = _pending.Items[index];
            double smallest = _pending.Items.Min(e => e.Prompt.Number);
            double number = Math.Floor(Math.Min(smallest, entry.Prompt.Number)) - 1;
            var moved = new QueueEntry(_store.NextSequence(_nextSequence++), entry.Prompt with { Number = number });
            _pending.RemoveAt(index);
            _store.RemoveQueued(entry.Sequence);
            _store.AddPending(moved);
            _pending.Push(moved);
            return true;
        }
    }

    /// <summary>Wakes a waiting <see cref="TakeAsync"/> (e.g. for <c>/free</c> flags).</summary>
    public void Wake() => _wake.Release();

    /// <summary>
    /// Ends the running item after its history entry was stored: removes it and broadcasts <c>status</c>.
    /// With <paramref name="keepInStore"/> the stored row stays (the server is stopping mid-run).
    /// </summary>
    public void FinishRunning(QueueEntry entry, bool keepInStore = false)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (!keepInStore)
            {
                _store.RemoveQueued(entry.Sequence);
            }
            if (ReferenceEquals(_running, entry))
            {
                _running = null;
            }
            if (!keepInStore)
            {
                BroadcastStatusLocked();
            }
            if (_pending.Count > 0)
            {
                _wake.Release();
            }
        }
    }

    /// <summary>Removes an abandoned item's stored row once it has been recorded in history.</summary>
    public void ForgetAbandoned(QueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _store.RemoveQueued(entry.Sequence);
    }

    /// <summary>The queue tuple <c>[number, prompt_id, prompt, extra_data, outputs_to_execute]</c> (fresh copies).</summary>
    public static JsonArray Tuple(QueuedPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        JsonNode number = prompt.NumberIsFloat ? JsonValue.Create(prompt.Number) : JsonValue.Create((long)prompt.Number);
        return
        [
            number,
            prompt.PromptId,
            prompt.Prompt.DeepClone(),
            prompt.ExtraData.DeepClone(),
            new JsonArray(prompt.OutputsToExecute.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
        ];
    }

    /// <inheritdoc />
    public void Dispose() => _wake.Dispose();

    private void BroadcastStatusLocked() =>
        _sink.Send(MessageTypes.Status, Messages.StatusData(RemainingLocked), MessageTarget.All, null);

    private static int Compare(QueueEntry a, QueueEntry b)
    {
        // Higher priority first; with no priorities (all 0) this is the reference's (number, prompt_id).
        int c = b.Priority.CompareTo(a.Priority);
        if (c != 0)
        {
            return c;
        }
        c = a.Prompt.Number.CompareTo(b.Prompt.Number);
        return c != 0 ? c : string.CompareOrdinal(a.Prompt.PromptId, b.Prompt.PromptId);
    }
}
