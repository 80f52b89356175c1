using ComfySharp.Engine.Execution;
using Xunit;

namespace ComfySharp.Engine.Tests.Execution;

/// <summary>
/// The output cache over many prompts whose signatures never repeat (the soak's shape): what it keeps about
/// evicted signatures must not grow with the number of prompts served, under every eviction policy.
/// </summary>
public sealed class OutputCacheTests
{
    [Theory]
    [InlineData(CacheMode.Classic, 0)]
    [InlineData(CacheMode.Lru, 5)]
    [InlineData(CacheMode.RamPressure, 0)]
    public void Bookkeeping_of_evicted_signatures_stays_bounded(CacheMode mode, int lruSize)
    {
        var cache = new OutputCache(new CacheOptions(mode, lruSize));
        var entry = new CacheEntry([[1L]], null);
        for (int prompt = 0; prompt < 2000; prompt++)
        {
            string key = $"signature-{prompt}";
            cache.BeginPrompt(new HashSet<string> { key }, new HashSet<(string, string)>());
            Assert.Null(cache.Get(key));
            cache.Set(key, entry);
            Assert.Same(entry, cache.Get(key));
        }
        // RAM pressure keeps entries until memory runs short; the others keep at most the policy's size.
        int kept = mode switch { CacheMode.Classic => 1, CacheMode.Lru => lruSize + 1, _ => 2000 };
        Assert.InRange(cache.Count, 1, kept);
        Assert.InRange(cache.TrackedKeys, 0, cache.Count);
    }
}
