using System.Collections.Concurrent;
using System.Threading.Channels;

namespace ComfySharp.Abstractions.Files;

/// <summary>
/// Writes files on one background thread so that a node does not wait for the file system (creating a
/// file in a temp folder of thousands of previews costs about half a millisecond here, more than the
/// rest of a small prompt). Anything that reads such a file soon after its node finished — the
/// <c>/view</c> endpoint, a loader of <c>[temp]</c> names — first calls <see cref="WhenWrittenAsync"/>
/// or <see cref="WaitUntilWritten"/>, so readers never see a file missing or half written.
/// </summary>
public static class DeferredFileWrites
{
    // Bounded so a slow disk cannot pile up images in memory: when full, the caller writes inline.
    private const int Capacity = 256;

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Pending = new(StringComparer.Ordinal);
    private static readonly Channel<(string Path, byte[] Data, TaskCompletionSource Done)> Queue =
        Channel.CreateBounded<(string, byte[], TaskCompletionSource)>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private static readonly Lazy<Thread> Writer = new(StartWriter);

    /// <summary>Queues <paramref name="data"/> to be written to <paramref name="path"/> (created or replaced).</summary>
    public static void Write(string path, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(data);
        string full = Path.GetFullPath(path);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending[full] = done;
        _ = Writer.Value;
        if (!Queue.Writer.TryWrite((full, data, done)))
        {
            WriteNow(full, data, done);
        }
    }

    /// <summary>Completes when no write to <paramref name="path"/> is pending (at once when none was queued).</summary>
    public static Task WhenWrittenAsync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Pending.TryGetValue(Path.GetFullPath(path), out TaskCompletionSource? done) ? done.Task : Task.CompletedTask;
    }

    /// <summary>Blocks until no write to <paramref name="path"/> is pending.</summary>
    public static void WaitUntilWritten(string path) => WhenWrittenAsync(path).GetAwaiter().GetResult();

    /// <summary>Waits, at most <paramref name="timeout"/>, until every queued write has finished (before emptying a folder).</summary>
    public static bool Flush(TimeSpan timeout) => Task.WhenAll(Pending.Values.Select(p => p.Task)).Wait(timeout);

    private static Thread StartWriter()
    {
        var thread = new Thread(WriteLoop) { IsBackground = true, Name = "ComfySharp file writer" };
        thread.Start();
        return thread;
    }

    private static void WriteLoop()
    {
        ChannelReader<(string Path, byte[] Data, TaskCompletionSource Done)> reader = Queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                WriteNow(item.Path, item.Data, item.Done);
            }
        }
    }

    private static void WriteNow(string path, byte[] data, TaskCompletionSource done)
    {
        try
        {
            File.WriteAllBytes(path, data);
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
            Pending.TryRemove(new KeyValuePair<string, TaskCompletionSource>(path, done));
            done.TrySetResult();
        }
    }
}
