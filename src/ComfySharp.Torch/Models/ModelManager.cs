using TorchSharp;

namespace ComfySharp.Torch.Models;

/// <summary>Something the model manager can account for.</summary>
public interface IModelMemory
{
    /// <summary>Bytes held by the weights.</summary>
    long WeightBytes { get; }
}

/// <summary>One entry of <see cref="ModelManager.Loaded"/>.</summary>
/// <param name="Path">The model file.</param>
/// <param name="Variant">What was loaded from it (e.g. <c>checkpoint</c>, <c>vae</c>, <c>unet:default</c>).</param>
/// <param name="Bytes">Bytes held by the weights.</param>
/// <param name="LastUsedUtc">Last time a node asked for it.</param>
public sealed record LoadedModelInfo(string Path, string Variant, long Bytes, DateTime LastUsedUtc);

/// <summary>
/// The models loaded by this server, shared by every prompt and node that asks for the same file
/// (keyed by full path, modification time and length, plus a variant). Least recently used models are
/// released when a new one would exceed the memory budget, and <see cref="UnloadAll"/> releases
/// everything (<c>POST /free</c>).
/// </summary>
/// <remarks>
/// Releasing drops the manager's reference but never disposes the weights: a cached node output or a
/// running prompt may still hold the model, and disposing under it would break that prompt. The
/// memory returns once the last holder lets go (the executor's cache is cleared by <c>/free</c> with
/// <c>free_memory</c>); a garbage collection is requested so that happens promptly.
/// </remarks>
public sealed class ModelManager
{
    private readonly Lock _gate = new();
    private readonly Dictionary<EntryKey, Entry> _entries = [];
    private readonly Dictionary<EntryKey, Lazy<object>> _loading = [];
    // Published for /metrics (the server listens to this meter by name): one measurement per load from
    // disk. Process-wide like every .NET meter; it holds no state of its own beyond its listeners.
    private static readonly System.Diagnostics.Metrics.Meter ModelMeter = new("ComfySharp.Models");
    private static readonly System.Diagnostics.Metrics.Histogram<double> LoadSeconds =
        ModelMeter.CreateHistogram<double>("comfysharp.model.load.duration", "s", "Time to load a model from disk.");
    private long _clock;

    /// <summary>Creates a manager with the given device and precision policy.</summary>
    public ModelManager(ComputeOptions? options = null)
    {
        Options = options ?? new ComputeOptions();
        MemoryBudgetBytes = Options.MemoryBudgetBytes ?? (long)(SystemMemory.Read().TotalBytes * 0.6);
    }

    /// <summary>The device and precision policy loaders must follow.</summary>
    public ComputeOptions Options { get; }

    /// <summary>Weight bytes kept loaded before least recently used models are released.</summary>
    public long MemoryBudgetBytes { get; }

    /// <summary>Bytes held by the models currently kept.</summary>
    public long LoadedBytes
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Sum(e => e.Bytes);
            }
        }
    }

    /// <summary>The models currently kept, most recently used first.</summary>
    public IReadOnlyList<LoadedModelInfo> Loaded
    {
        get
        {
            lock (_gate)
            {
                return _entries.OrderByDescending(e => e.Value.Tick)
                    .Select(e => new LoadedModelInfo(e.Key.Path, e.Key.Variant, e.Value.Bytes, e.Value.LastUsedUtc))
                    .ToList();
            }
        }
    }

    private static T LoadTimed<T>(string full, Func<string, T> load)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        T value = load(full);
        LoadSeconds.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        return value;
    }

    /// <summary>
    /// The model loaded from <paramref name="path"/> as <paramref name="variant"/>: the shared instance
    /// when the file has not changed since it was loaded, otherwise the result of <paramref name="load"/>
    /// (called at most once at a time per key; concurrent callers wait for it).
    /// </summary>
    public T GetOrLoad<T>(string path, string variant, Func<string, T> load) where T : class
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(load);
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"Model file '{full}' not found.", full);
        }
        var key = new EntryKey(full, variant, info.LastWriteTimeUtc.Ticks, info.Length);
        Lazy<object> pending;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out Entry? hit) && hit.Value is T cached)
            {
                hit.Touch(++_clock);
                return cached;
            }
            // A changed file (new mtime or size) replaces every older entry of the same path and variant.
            foreach (var stale in _entries.Keys.Where(k => k.Path == full && k.Variant == variant).ToList())
            {
                _entries.Remove(stale);
            }
            if (!_loading.TryGetValue(key, out pending!))
            {
                pending = new Lazy<object>(() => LoadTimed(full, load), LazyThreadSafetyMode.ExecutionAndPublication);
                _loading[key] = pending;
            }
        }

        object value;
        try
        {
            value = pending.Value;
        }
        finally
        {
            lock (_gate)
            {
                _loading.Remove(key);
            }
        }

        long bytes = value is IModelMemory memory ? memory.WeightBytes : info.Length;
        bool released;
        lock (_gate)
        {
            released = MakeRoom(bytes);
            var entry = new Entry(value, bytes);
            entry.Touch(++_clock);
            _entries[key] = entry;
        }
        if (released)
        {
            CollectReleased();
        }
        return (T)value;
    }

    /// <summary>Releases every model (they are freed once no prompt or cached output holds them). Returns how many were released.</summary>
    public int UnloadAll()
    {
        int count;
        lock (_gate)
        {
            count = _entries.Count;
            _entries.Clear();
        }
        if (count > 0)
        {
            CollectReleased();
        }
        return count;
    }

    /// <summary>Memory and device figures for <c>GET /system_stats</c>.</summary>
    public SystemInfo SystemInfo()
    {
        var memory = SystemMemory.Read();
        bool cuda = Options.UsesCuda && torch.cuda.is_available();
        var device = cuda
            ? new DeviceInfo("cuda:0", "cuda", 0, memory.TotalBytes, memory.AvailableBytes, 0, 0)
            : new DeviceInfo("cpu", "cpu", null, memory.TotalBytes, memory.AvailableBytes, memory.TotalBytes, memory.AvailableBytes);
        return new SystemInfo(memory.TotalBytes, memory.AvailableBytes, LibTorchVersion(), [device], LoadedBytes, MemoryBudgetBytes);
    }

    private bool MakeRoom(long incoming)
    {
        bool released = false;
        long used = _entries.Values.Sum(e => e.Bytes);
        while (_entries.Count > 0 && used + incoming > MemoryBudgetBytes)
        {
            var oldest = _entries.MinBy(e => e.Value.Tick);
            _entries.Remove(oldest.Key);
            used -= oldest.Value.Bytes;
            released = true;
        }
        return released;
    }

    private static void CollectReleased()
    {
        // Tensor finalizers free native memory; run them now rather than at the next unrelated GC.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static string LibTorchVersion()
    {
        try
        {
            return $"libtorch {torch.__version__} (TorchSharp)";
        }
        catch (Exception)
        {
            return "TorchSharp";
        }
    }

    private readonly record struct EntryKey(string Path, string Variant, long WriteTicks, long Length);

    private sealed class Entry(object value, long bytes)
    {
        public object Value { get; } = value;
        public long Bytes { get; } = bytes;
        public long Tick { get; private set; }
        public DateTime LastUsedUtc { get; private set; }

        public void Touch(long tick)
        {
            Tick = tick;
            LastUsedUtc = DateTime.UtcNow;
        }
    }
}

/// <summary>One compute device as <c>/system_stats</c> reports it.</summary>
/// <param name="Name">Display name (<c>cpu</c>, <c>cuda:0</c>).</param>
/// <param name="Type"><c>cpu</c> or <c>cuda</c>.</param>
/// <param name="Index">Device index; null for the CPU.</param>
/// <param name="VramTotal">Total device memory (RAM for the CPU).</param>
/// <param name="VramFree">Free device memory.</param>
/// <param name="TorchVramTotal">Memory reserved by torch.</param>
/// <param name="TorchVramFree">Reserved but unused.</param>
public sealed record DeviceInfo(string Name, string Type, int? Index, long VramTotal, long VramFree, long TorchVramTotal, long TorchVramFree);

/// <summary>Figures for <c>GET /system_stats</c>.</summary>
/// <param name="RamTotal">Physical memory in bytes.</param>
/// <param name="RamFree">Available memory in bytes.</param>
/// <param name="TorchVersion">Free-text version of the tensor library.</param>
/// <param name="Devices">The compute device (one element, as the reference reports).</param>
/// <param name="LoadedModelBytes">Weight bytes of the models the manager keeps.</param>
/// <param name="MemoryBudgetBytes">The manager's budget.</param>
public sealed record SystemInfo(long RamTotal, long RamFree, string TorchVersion, IReadOnlyList<DeviceInfo> Devices, long LoadedModelBytes, long MemoryBudgetBytes);

/// <summary>Physical memory figures.</summary>
/// <param name="TotalBytes">Installed memory.</param>
/// <param name="AvailableBytes">Memory available to new allocations.</param>
public readonly record struct SystemMemory(long TotalBytes, long AvailableBytes)
{
    /// <summary>Reads <c>/proc/meminfo</c> on Linux, the GC's view elsewhere.</summary>
    public static SystemMemory Read()
    {
        try
        {
            if (File.Exists("/proc/meminfo"))
            {
                long total = 0, available = 0;
                foreach (string line in File.ReadLines("/proc/meminfo"))
                {
                    if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    {
                        total = ParseKb(line);
                    }
                    else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    {
                        available = ParseKb(line);
                    }
                }
                if (total > 0)
                {
                    return new SystemMemory(total, available);
                }
            }
        }
        catch (IOException)
        {
            // Fall through to the runtime's figures.
        }
        var gc = GC.GetGCMemoryInfo();
        return new SystemMemory(gc.TotalAvailableMemoryBytes, Math.Max(0, gc.TotalAvailableMemoryBytes - gc.MemoryLoadBytes));
    }

    private static long ParseKb(string line)
    {
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
