namespace ComfySharp.TestKit;

/// <summary>Locations shared by the test projects.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding ComfySharp.slnx).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The shared folder beside the checkout (<c>../shared</c>): spec, golden data, tokenizer.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    /// <summary>A new empty temporary directory.</summary>
    public static string NewTempDirectory(string prefix = "comfysharp-test")
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ComfySharp.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException("ComfySharp.slnx not found above the test binaries.");
    }
}
