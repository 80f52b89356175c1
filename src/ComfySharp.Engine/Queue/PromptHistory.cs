using System.Text.Json.Nodes;
using ComfySharp.Protocol;

namespace ComfySharp.Engine.Queue;

/// <summary>
/// Finished prompts keyed by id in completion order (API.md §5), persisted through an
/// <see cref="IHistoryStore"/>. Holds at most <see cref="MaxEntries"/> + 1 entries, like the reference.
/// </summary>
/// <remarks>
/// Entries are kept as their serialised text, one array each, and parsed when read: a JSON tree
/// costs several times the memory of its text and, with 10,001 entries held for the life of the
/// process, keeps millions of small objects in the heap the collector must trace. Reading parses
/// where it used to copy the tree, at about the same cost.
/// </remarks>
public sealed class PromptHistory
{
    /// <summary>When an entry is added and more than this many exist, the oldest is dropped first.</summary>
    public const int MaxEntries = 10000;

    private readonly Lock _lock = new();
    private readonly OrderedEntries _entries = new();
    private readonly IHistoryStore _store;

    /// <summary>Creates the history, loading what the store holds.</summary>
    public PromptHistory(IHistoryStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        foreach (var (id, entry) in store.LoadHistory())
        {
            _entries[id] = entry;
        }
    }

    /// <summary>Number of entries.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Builds and stores the entry <c>{prompt, outputs, status, meta}</c> of a finished prompt.</summary>
    public void Add(QueuedPrompt prompt, ExecutionRecord record)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        byte[] json = EntryJson(prompt, record);
        lock (_lock)
        {
            if (!_entries.ContainsKey(prompt.PromptId) && _entries.Count > MaxEntries)
            {
                string oldest = _entries.RemoveOldest();
                _store.DeleteHistory(oldest);
            }
            _entries[prompt.PromptId] = json;
            _store.PutHistory(prompt.PromptId, json);
        }
    }

    /// <summary>The serialised history entry <c>{prompt, outputs, status, meta}</c> of a finished prompt.</summary>
    public static byte[] EntryJson(QueuedPrompt prompt, ExecutionRecord record)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(record);
        var entry = new JsonObject
        {
            ["prompt"] = PromptQueue.Tuple(prompt),
            ["outputs"] = record.Outputs.DeepClone(),
            ["status"] = record.Status.DeepClone(),
            ["meta"] = record.Meta.DeepClone(),
        };
        return PythonJson.SerializeToUtf8(entry);
    }

    /// <summary>
    /// Takes in an entry another process already stored (a scale-out worker): kept in memory, not
    /// written back. Over <see cref="MaxEntries"/>, the oldest is dropped from memory only.
    /// </summary>
    public void Import(string promptId, byte[] entryJson)
    {
        ArgumentNullException.ThrowIfNull(promptId);
        ArgumentNullException.ThrowIfNull(entryJson);
        lock (_lock)
        {
            if (!_entries.ContainsKey(promptId) && _entries.Count > MaxEntries)
            {
                _entries.RemoveOldest();
            }
            _entries[promptId] = entryJson;
        }
    }

    /// <summary>A copy of one entry, or null.</summary>
    public JsonObject? Get(string promptId)
    {
        byte[]? json;
        lock (_lock)
        {
            json = _entries.TryGetValue(promptId, out byte[]? e) ? e : null;
        }
        // An entry that cannot be read at all answers as absent rather than failing the request.
        return json is null ? null : Parse(json);
    }

    /// <summary>
    /// The <c>GET /history</c> selection: with only <paramref name="maxItems"/>, the newest that many;
    /// with <paramref name="offset"/>, from that index forward. Copies, oldest first.
    /// </summary>
    public JsonObject Page(int? maxItems, int? offset)
    {
        lock (_lock)
        {
            int count = _entries.Count;
            int start = offset ?? -1;
            if (start < 0)
            {
                start = maxItems is int m ? Math.Max(0, count - m) : 0;
            }
            int take = maxItems is int max ? Math.Max(0, max) : int.MaxValue;
            var result = new JsonObject();
            for (int i = start; i < count && take > 0; i++, take--)
            {
                var (id, entry) = _entries.GetAt(i);
                if (Parse(entry) is JsonObject parsed)
                {
                    result[id] = parsed;
                }
            }
            return result;
        }
    }

    /// <summary>Copies of all entries, oldest first (for the jobs API).</summary>
    public IReadOnlyList<(string PromptId, JsonObject Entry)> All()
    {
        lock (_lock)
        {
            var all = new List<(string, JsonObject)>(_entries.Count);
            for (int i = 0; i < _entries.Count; i++)
            {
                var (id, entry) = _entries.GetAt(i);
                if (Parse(entry) is JsonObject parsed)
                {
                    all.Add((id, parsed));
                }
            }
            return all;
        }
    }

    /// <summary>Deletes one entry; unknown ids are ignored.</summary>
    public void Delete(string promptId)
    {
        lock (_lock)
        {
            if (_entries.Remove(promptId))
            {
                _store.DeleteHistory(promptId);
            }
        }
    }

    /// <summary>Deletes everything.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _store.ClearHistory();
        }
    }

    // Tolerant: an entry stored by an older version that JSON cannot carry (NaN, Infinity) reads with
    // those as null, and one that cannot be read at all is skipped, so one bad entry never fails
    // /history or /api/jobs for everyone.
    private static JsonObject? Parse(byte[] json) => PythonJson.ParseStored(json) as JsonObject;

    /// <summary>
    /// Entries by id in insertion order. Dropping the oldest is O(1) (a moving head over the id list,
    /// compacted now and then) where <see cref="OrderedDictionary{TKey, TValue}.RemoveAt"/> shifted all
    /// 10,000 entries on every prompt once the history was full; deleting a chosen id (a user's request)
    /// compacts at once, so positions stay dense for paging by index.
    /// </summary>
    private sealed class OrderedEntries
    {
        private readonly Dictionary<string, byte[]> _byId = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];
        private int _head;

        public int Count => _byId.Count;

        public byte[] this[string id]
        {
            set
            {
                if (_byId.TryAdd(id, value))
                {
                    _order.Add(id);
                }
                else
                {
                    _byId[id] = value;
                }
            }
        }

        public bool ContainsKey(string id) => _byId.ContainsKey(id);

        public bool TryGetValue(string id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out byte[] entry) => _byId.TryGetValue(id, out entry);

        public (string Id, byte[] Entry) GetAt(int index)
        {
            string id = _order[_head + index];
            return (id, _byId[id]);
        }

        public string RemoveOldest()
        {
            string id = _order[_head];
            _order[_head] = null!;
            _head++;
            _byId.Remove(id);
            if (_head > 1024 && _head > _order.Count / 2)
            {
                _order.RemoveRange(0, _head);
                _head = 0;
            }
            return id;
        }

        public bool Remove(string id)
        {
            if (!_byId.Remove(id))
            {
                return false;
            }
            _order.RemoveRange(0, _head);
            _head = 0;
            _order.Remove(id);
            return true;
        }

        public void Clear()
        {
            _byId.Clear();
            _order.Clear();
            _head = 0;
        }
    }
}
