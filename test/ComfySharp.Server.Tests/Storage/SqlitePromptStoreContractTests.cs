using ComfySharp.Storage;
using ComfySharp.TestKit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>The store contract on the SQLite file (the embedded default).</summary>
public sealed class SqlitePromptStoreContractTests : PromptStoreContract<SqlitePromptStore>
{
    private readonly string _directory = TestPaths.NewTempDirectory("comfysharp-contract");

    /// <inheritdoc />
    protected override SqlitePromptStore Open() => new(Path.Combine(_directory, "comfysharp.db"));

    /// <inheritdoc />
    protected override void Settle(SqlitePromptStore store) => store.Flush();

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => Directory.Delete(_directory, recursive: true);
}
