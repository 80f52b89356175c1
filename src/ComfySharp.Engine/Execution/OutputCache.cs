using System.Text.Json.Nodes;
using ComfySharp.Abstractions;

namespace ComfySharp.Engine.Execution;

/// <summary>The cached result of one node: one value list per output slot, and its UI record (<c>{"meta", "output"}</c>) or null.</summary>
/// <param name="Outputs">Per slot, the list of values (length &gt; 1 after list mapping).</param>
/// <param name="Ui">The UI record (meta + output) or null when the node produced no UI.</param>
internal sealed record CacheEntry(IReadOnlyList<IReadOnlyList<object?>> Outputs, JsonObject? Ui);

/// <summary>
/// The output cache keyed by input signature, with the eviction policies of EXECUTION.md §6.4, and
/// the object cache of node instances keyed by (node id, class).
/// </summary>
internal sealed class OutputCache
{
    private readonly CacheOptions _options;
    private readonly Dictionary<string, CacheEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _usedGeneration = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Id, string Class), ComfyNode> _objects = [];
    private long _generation;
    private long _minGeneration;

    public OutputCache(CacheOptions options) => _options = options;

    public bool Enabled => _options.Mode != CacheMode.None;

    public int Count => _entries.Count;

    /// <summary>Keys with a use record; never more than <see cref="Count"/> once a prompt has begun (a long run's memory depends on it).</summary>
    internal int TrackedKeys => _usedGeneration.Count;

    /// <summary>Starts a prompt: applies the policy's cleanup given the signatures and node identities of the new graph.</summary>
    public void BeginPrompt(IReadOnlySet<string> newKeys, IReadOnlySet<(string Id, string Class)> newObjects)
    {
        _generation++;
        switch (_options.Mode)
        {
            case CacheMode.None:
                _entries.Clear();
                _objects.Clear();
                return;
            case CacheMode.Classic:
                foreach (string key in _entries.Keys.Where(k => !newKeys.Contains(k)).ToList())
                {
                    _entries.Remove(key);
                    // Every eviction drops the key's use record too; otherwise a long-running server keeps one
                    // entry per signature it ever computed (the soak found 1.7 KB per prompt of growth).
                    _usedGeneration.Remove(key);
                }
                break;
            case CacheMode.Lru:
                foreach (string key in newKeys)
                {
                    if (_entries.ContainsKey(key)) { _usedGeneration[key] = _generation; }
                }
                EvictLru();
                break;
            case CacheMode.RamPressure:
                foreach (string key in newKeys)
                {
                    if (_entries.ContainsKey(key)) { _usedGeneration[key] = _generation; }
                }
                break;
        }
        foreach (var key in _objects.Keys.Where(k => !newObjects.Contains(k)).ToList()) { _objects.Remove(key); }
    }

    private void EvictLru()
    {
        while (_entries.Count > _options.LruSize && _minGeneration < _generation)
        {
            _minGeneration++;
            foreach (string key in _entries.Keys.Where(k => _usedGeneration.GetValueOrDefault(k) < _minGeneration).ToList())
            {
                _entries.Remove(key);
                _usedGeneration.Remove(key);
            }
        }
    }

    public CacheEntry? Get(string key)
    {
        if (!Enabled || !_entries.TryGetValue(key, out var entry)) { return null; }
        _usedGeneration[key] = _generation;
        return entry;
    }

    public bool Contains(string key) => Enabled && _entries.ContainsKey(key);

    public void Set(string key, CacheEntry entry)
    {
        if (!Enabled) { return; }
        _entries[key] = entry;
        _usedGeneration[key] = _generation;
    }

    /// <summary>After each node under <see cref="CacheMode.RamPressure"/>: evicts by age and size while free RAM is short.</summary>
    public void Poll()
    {
        if (_options.Mode != CacheMode.RamPressure) { return; }
        double thresholdBytes = _options.RamHeadroomGb * 1024 * 1024 * 1024;
        if (AvailableRamBytes() >= thresholdBytes) { return; }
        GC.Collect();
        var byScore = _entries.Keys
            .Select(k => (Key: k, Score: Math.Pow(1.3, _generation - _usedGeneration.GetValueOrDefault(k)) * EstimateSize(_entries[k])))
            .OrderByDescending(x => x.Score)
            .ToList();
        foreach (var (key, _) in byScore)
        {
            if (AvailableRamBytes() >= 1.1 * thresholdBytes) { break; }
            _entries.Remove(key);
            _usedGeneration.Remove(key);
            GC.Collect();
        }
    }

    private static double EstimateSize(CacheEntry entry) => 1 + entry.Outputs.Sum(slot => slot.Count);

    private static double AvailableRamBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes - info.MemoryLoadBytes;
    }

    public ComfyNode GetOrCreateObject(string id, string classType, Func<ComfyNode> create)
    {
        if (!Enabled) { return create(); }
        if (!_objects.TryGetValue((id, classType), out var node))
        {
            node = create();
            _objects[(id, classType)] = node;
        }
        return node;
    }

    public void Clear()
    {
        _entries.Clear();
        _usedGeneration.Clear();
        _objects.Clear();
    }
}
