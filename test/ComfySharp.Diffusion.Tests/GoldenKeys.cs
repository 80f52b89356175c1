using ComfySharp.TestKit;

namespace ComfySharp.Diffusion.Tests;

/// <summary>The golden checkpoint's key list (shared/golden/key_list.tsv): key → shape.</summary>
internal static class GoldenKeys
{
    private static readonly Lazy<IReadOnlyList<(string Key, long[] Shape)>> All = new(() =>
        File.ReadLines(Path.Combine(TestPaths.Shared, "golden", "key_list.tsv"))
            .Skip(1)
            .Select(line => line.Split('\t'))
            .Select(f => (f[1], f[3].Split('x').Select(long.Parse).ToArray()))
            .ToList());

    public static IReadOnlyDictionary<string, long[]> WithPrefix(string prefix) =>
        All.Value.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Shape, StringComparer.Ordinal);
}
