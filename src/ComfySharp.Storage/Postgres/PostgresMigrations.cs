using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, versioned in <c>comfysharp_schema</c>. Processes starting together (API nodes
/// and workers) serialise on an advisory lock, so each step runs once, in the transaction that records it;
/// a database from a newer build is refused.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>The version this build writes.</summary>
    public const int Current = 2;

    // Any constant shared by every ComfySharp process: the advisory lock the migrations hold.
    private const long MigrationLock = 0x436F6D6679_5351;

    private static readonly string[] Steps =
    [
        // 1: the shared queue (claimed by workers with leases), history, large-event spill, workers.
        """
        CREATE TABLE IF NOT EXISTS queue (
            seq BIGINT PRIMARY KEY,
            number DOUBLE PRECISION NOT NULL,
            number_is_float BOOLEAN NOT NULL,
            priority DOUBLE PRECISION NOT NULL,
            prompt_id TEXT NOT NULL,
            client_id TEXT,
            prompt TEXT NOT NULL,
            extra_data TEXT NOT NULL,
            outputs TEXT NOT NULL,
            state TEXT NOT NULL,
            worker TEXT,
            lease_until TIMESTAMPTZ,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            queued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp());
        CREATE SEQUENCE IF NOT EXISTS queue_seq;
        CREATE INDEX IF NOT EXISTS queue_claim_order ON queue (priority DESC, number, seq) WHERE state = 'pending';
        CREATE INDEX IF NOT EXISTS queue_leases ON queue (lease_until) WHERE state = 'running';
        CREATE TABLE IF NOT EXISTS history (
            seq BIGSERIAL PRIMARY KEY,
            prompt_id TEXT NOT NULL UNIQUE,
            entry TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS events (
            id BIGSERIAL PRIMARY KEY,
            payload TEXT NOT NULL,
            created TIMESTAMPTZ NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS workers (
            id TEXT PRIMARY KEY,
            started TIMESTAMPTZ NOT NULL,
            seen TIMESTAMPTZ NOT NULL,
            running TEXT);
        """,
        // 2: routing (tags a prompt needs, checkpoints it loads), the workers' registry, numbers shared by API nodes.
        """
        ALTER TABLE queue ADD COLUMN IF NOT EXISTS worker_tags TEXT[] NOT NULL DEFAULT '{}';
        ALTER TABLE queue ADD COLUMN IF NOT EXISTS models TEXT[] NOT NULL DEFAULT '{}';
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS tags TEXT[] NOT NULL DEFAULT '{}';
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS loaded_models TEXT[] NOT NULL DEFAULT '{}';
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS node_classes TEXT[] NOT NULL DEFAULT '{}';
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS completed BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS running_since TIMESTAMPTZ;
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS ram_total BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE workers ADD COLUMN IF NOT EXISTS ram_free BIGINT NOT NULL DEFAULT 0;
        CREATE SEQUENCE IF NOT EXISTS queue_number MINVALUE 0 START 0;
        SELECT setval('queue_number', (SELECT coalesce(floor(max(number))::bigint + 1, 0) FROM queue), false);
        """,
    ];

    /// <summary>Brings the database to <see cref="Current"/>; throws for one written by a newer build.</summary>
    public static void Apply(NpgsqlConnection connection)
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock});");
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS comfysharp_schema (version INTEGER NOT NULL);");
        using (var read = new NpgsqlCommand("SELECT max(version) FROM comfysharp_schema;", connection, transaction))
        {
            object? stored = read.ExecuteScalar();
            int version = stored is int v ? v : 0;
            if (version > Current)
            {
                throw new InvalidOperationException($"The database was written by a newer ComfySharp (schema {version}, this build knows {Current}).");
            }
            for (int step = version; step < Current; step++)
            {
                Execute(connection, transaction, Steps[step]);
                Execute(connection, transaction, $"DELETE FROM comfysharp_schema; INSERT INTO comfysharp_schema VALUES ({step + 1});");
            }
        }
        transaction.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
