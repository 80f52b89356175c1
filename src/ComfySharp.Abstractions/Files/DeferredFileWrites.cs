using System.Collections.Concurrent;

namespace ComfySharp.Abstractions.Files;

/// <summary>
/// Files that exist in memory first and on disk only when something needs them there: previews in the
/// temp folder. Creating a file per preview cost more than the rest of a small prompt (ext4 inode
/// allocation in a folder of thousands of files: 15–25% of the server's CPU under load), while the temp
/// folder is emptied at every start and stop and most previews are never fetched.
/// </summary>
/// <remarks>
/// <para>A file handed to <see cref="Write"/> stays in memory until one of these happens:</para>
/// <list type="bullet">
/// <item>a reader asks for it — <see cref="WaitUntilWritten"/> / <see cref="WhenWrittenAsync"/>, which the
/// <c>/view</c> endpoint and <c>[temp]</c> loaders call first — and it is written on the spot;</item>
/// <item>the bytes held exceed <see cref="MemoryBudgetBytes"/> (or more than <see cref="MaxHeldFiles"/>
/// are held): a background thread writes the oldest out;</item>
/// <item><see cref="WriteAll"/> is called for its folder (before listing it);</item>
/// <item>or <see cref="DiscardUnwritten"/> drops it (its folder is being emptied).</item>
/// </list>
/// <para>Each file is written at most once, by whichever comes first; the others wait for that write.</para>
/// </remarks>
public static class DeferredFileWrites
{
    private static readonly ConcurrentDictionary<string, Held> ByPath = new(StringComparer.Ordinal);
    // Held files in the order they arrived (finished ones are dropped from the head lazily).
    private static readonly Queue<Held> Oldest = new();
    private static readonly Lock OldestLock = new();
    private static readonly SemaphoreSlim SpillWake = new(0);
    private static readonly Lazy<Thread> Spiller = new(StartSpiller);
    private static long _heldBytes;
    private static int _heldFiles;

    /// <summary>How many bytes of files may wait in memory before the oldest are written out (64 MiB).</summary>
    public static long MemoryBudgetBytes { get; set; } = 64L << 20;

    /// <summary>How many files may wait in memory before the oldest are written out.</summary>
    public static int MaxHeldFiles { get; set; } = 65_536;

    /// <summary>Holds <paramref name="data"/> as the content of <paramref name="path"/> (created or replaced when written).</summary>
    public static void Write(string path, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(data);
        var held = new Held(Path.GetFullPath(path), data);
        Interlocked.Add(ref _heldBytes, data.Length);
        Interlocked.Increment(ref _heldFiles);
        if (ByPath.TryGetValue(held.Path, out Held? older))
        {
            // The same name again (a restarted counter): the newer content wins, the older is never written.
            older.Finish(write: false);
        }
        ByPath[held.Path] = held;
        bool orderTooLong;
        lock (OldestLock)
        {
            Oldest.Enqueue(held);
            // Files written or dropped since (by readers) leave the head here.
            while (Oldest.TryPeek(out Held? head) && head.IsFinished)
            {
                Oldest.Dequeue();
            }
            orderTooLong = OrderTooLong();
        }
        if (orderTooLong || HeldOverBudget())
        {
            _ = Spiller.Value;
            SpillWake.Release();
        }
    }

    /// <summary>True when <paramref name="path"/> is held in memory and not yet on disk.</summary>
    public static bool IsHeld(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ByPath.ContainsKey(Path.GetFullPath(path));
    }

    /// <summary>The names of the files held in memory for <paramref name="folder"/> (so a counter scan sees them).</summary>
    public static IReadOnlyList<string> HeldNames(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string full = Path.GetFullPath(folder);
        var names = new List<string>();
        foreach (string path in ByPath.Keys)
        {
            if (string.Equals(Path.GetDirectoryName(path), full, StringComparison.Ordinal))
            {
                names.Add(Path.GetFileName(path));
            }
        }
        return names;
    }

    /// <summary>
    /// Writes <paramref name="path"/> now if it is held in memory (on the caller's thread), or waits for a
    /// write already under way; completes at once when nothing is held for that path.
    /// </summary>
    public static Task WhenWrittenAsync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!ByPath.TryGetValue(Path.GetFullPath(path), out Held? held))
        {
            return Task.CompletedTask;
        }
        held.Finish(write: true);
        return held.Done.Task;
    }

    /// <summary>Blocks until <paramref name="path"/> is on disk if it was held in memory.</summary>
    public static void WaitUntilWritten(string path) => WhenWrittenAsync(path).GetAwaiter().GetResult();

    /// <summary>Writes every file held in memory under <paramref name="folder"/> (before listing it).</summary>
    public static void WriteAll(string folder)
    {
        foreach (Held held in HeldUnder(folder))
        {
            held.Finish(write: true);
        }
    }

    /// <summary>
    /// Drops every file under <paramref name="folder"/> still only in memory and waits, at most
    /// <paramref name="timeout"/>, for writes there under way (before that folder is emptied, so no write
    /// recreates a file in it). Files of other folders (another server in the same process) are untouched.
    /// </summary>
    public static bool DiscardUnwritten(string folder, TimeSpan timeout)
    {
        List<Held> held = HeldUnder(folder);
        foreach (Held h in held)
        {
            h.Finish(write: false);
        }
        return Task.WhenAll(held.Select(h => h.Done.Task)).Wait(timeout);
    }

    private static List<Held> HeldUnder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return ByPath.Values.Where(h => h.Path.StartsWith(root, StringComparison.Ordinal)).ToList();
    }

    private static bool HeldOverBudget() =>
        Interlocked.Read(ref _heldBytes) > MemoryBudgetBytes || Volatile.Read(ref _heldFiles) > MaxHeldFiles;

    // Finished entries behind a long-lived unfinished head also count, so the order queue stays bounded.
    // Caller holds OldestLock.
    private static bool OrderTooLong() => Oldest.Count > 2 * MaxHeldFiles;

    private static bool OverBudget()
    {
        if (HeldOverBudget())
        {
            return true;
        }
        lock (OldestLock)
        {
            return OrderTooLong();
        }
    }

    private static Held? TakeOldest()
    {
        lock (OldestLock)
        {
            return Oldest.TryDequeue(out Held? oldest) ? oldest : null;
        }
    }

    private static Thread StartSpiller()
    {
        var thread = new Thread(SpillLoop) { IsBackground = true, Name = "ComfySharp file writer" };
        thread.Start();
        return thread;
    }

    private static void SpillLoop()
    {
        while (true)
        {
            SpillWake.Wait();
            while (OverBudget() && TakeOldest() is { } oldest)
            {
                oldest.Finish(write: true);
            }
        }
    }

    /// <summary>One file's content waiting in memory.</summary>
    private sealed class Held(string path, byte[] data)
    {
        private readonly Lock _lock = new();
        private byte[]? _data = data;

        public string Path { get; } = path;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsFinished => Done.Task.IsCompleted;

        // Writes (or drops) the content exactly once; a second caller waits on Done instead.
        public void Finish(bool write)
        {
            byte[]? content;
            lock (_lock)
            {
                content = _data;
                _data = null;
            }
            if (content is null)
            {
                return;
            }
            try
            {
                if (write)
                {
                    File.WriteAllBytes(Path, content);
                }
            }
            catch (IOException)
            {
                // The folder vanished (temp emptied at shutdown) or the disk is full: the file is simply
                // missing and a reader gets 404, as if it had been deleted.
            }
            catch (UnauthorizedAccessException)
            {
            }
            finally
            {
                Interlocked.Add(ref _heldBytes, -content.Length);
                Interlocked.Decrement(ref _heldFiles);
                ByPath.TryRemove(new KeyValuePair<string, Held>(Path, this));
                Done.TrySetResult();
            }
        }
    }
}
