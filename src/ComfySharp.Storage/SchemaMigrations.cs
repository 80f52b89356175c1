using Microsoft.Data.Sqlite;

namespace ComfySharp.Storage;

/// <summary>
/// The SQLite file's schema, versioned with <c>PRAGMA user_version</c>. Each step upgrades one
/// version in the same transaction that records it, so an older file is brought forward on open
/// and a file from a newer build is refused.
/// </summary>
internal static class SchemaMigrations
{
    /// <summary>The version this build writes.</summary>
    public const int Current = 2;

    private static readonly string[] Steps =
    [
        // 1: queue and history.
        """
        CREATE TABLE IF NOT EXISTS queue (
            seq INTEGER PRIMARY KEY,
            number REAL NOT NULL,
            number_is_float INTEGER NOT NULL,
            prompt_id TEXT NOT NULL,
            prompt TEXT NOT NULL,
            extra_data TEXT NOT NULL,
            outputs TEXT NOT NULL,
            state TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            prompt_id TEXT NOT NULL UNIQUE,
            entry TEXT NOT NULL);
        """,
        // 2: users, API keys (SHA-256 of the key, never the key) and webhook deliveries.
        """
        CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            is_admin INTEGER NOT NULL,
            created_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS api_keys (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            max_pending INTEGER,
            per_minute INTEGER,
            webhook_secret TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            revoked_ms INTEGER);
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_ms INTEGER NOT NULL,
            state TEXT NOT NULL,
            last_error TEXT,
            created_ms INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries(state, next_attempt_ms);
        """,
    ];

    /// <summary>Brings the file to <see cref="Current"/>; throws for a file written by a newer build.</summary>
    public static void Apply(SqliteConnection connection)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        int version = Version(connection, transaction);
        if (version > Current)
        {
            throw new InvalidOperationException($"The database was written by a newer ComfySharp (schema {version}, this build knows {Current}).");
        }
        for (int step = version; step < Current; step++)
        {
            using SqliteCommand command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Steps[step] + $"\nPRAGMA user_version = {step + 1};";
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static int Version(SqliteConnection connection, SqliteTransaction transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
