namespace ComfySharp.TestKit;

/// <summary>
/// A machine-wide lock (a lock file in the golden cache folder) held while a test process has an SDXL-sized model
/// loaded, so that test projects running in parallel never hold two at once (about 12 GB each).
/// </summary>
public static class HeavyModelLock
{
    /// <summary>Waits (up to 30 minutes) for the lock; dispose the result to release it.</summary>
    public static IDisposable Acquire()
    {
        Directory.CreateDirectory(RandomCheckpointFile.CacheDirectory);
        string path = Path.Combine(RandomCheckpointFile.CacheDirectory, "heavy-model.lock");
        DateTime deadline = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }
}
