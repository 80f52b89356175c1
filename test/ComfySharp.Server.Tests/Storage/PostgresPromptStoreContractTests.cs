using ComfySharp.Storage.Postgres;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>The store contract on a real PostgreSQL database (the throw-away cluster of build/postgres.sh).</summary>
public sealed class PostgresPromptStoreContractTests : PromptStoreContract<PostgresPromptStore>
{
    private readonly PostgresTestDatabase _database = PostgresTestDatabase.Create();

    /// <inheritdoc />
    protected override PostgresPromptStore Open() => new(_database.ConnectionString);

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _database.Dispose();
}
