using System.Text;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// Queue and history in PostgreSQL, the scale-out counterpart of <see cref="SqlitePromptStore"/>. Every
/// change commits before the call returns (the database is across a network: there is no file to group
/// commits into, and other processes must see a queued prompt at once).
/// </summary>
/// <remarks>
/// Two uses. <b>Owned</b> (<c>--role all</c>): one process owns the queue, exactly like the SQLite file.
/// <b>Shared</b> (<c>--role api</c>): the process only adds prompts; workers claim them
/// (<see cref="PostgresWorkQueue"/>), so <see cref="LoadQueue"/> returns no running items (they are the
/// workers'), and a removal only takes a prompt that is still pending.
/// </remarks>
public sealed class PostgresPromptStore : IQueueStore, IHistoryStore, ISharedQueueNumbers, IDisposable
{
    /// <summary>The NOTIFY channel told the sequence number of every newly queued prompt.</summary>
    public const string QueueChannel = "comfysharp_queue";

    /// <summary>The NOTIFY channel told the prompt id of every history entry a worker stored.</summary>
    public const string HistoryChannel = HistorySql.Channel;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _shared;

    /// <summary>Connects (pooled) and brings the schema up to date.</summary>
    /// <param name="connectionString">An Npgsql connection string (see <see cref="PostgresAddress.ToConnectionString"/>).</param>
    /// <param name="shared">True on an API node of a scale-out deployment (see remarks).</param>
    public PostgresPromptStore(string connectionString, bool shared = false)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _shared = shared;
        using NpgsqlConnection connection = _dataSource.OpenConnection();
        PostgresMigrations.Apply(connection);
    }

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => PostgresMigrations.Current;

    /// <summary>The pooled connections (shared with the scale-out services of this process).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <inheritdoc />
    public (IReadOnlyList<QueueEntry> Pending, IReadOnlyList<QueueEntry> Running) LoadQueue()
    {
        var pending = new List<QueueEntry>();
        var running = new List<QueueEntry>();
        using NpgsqlCommand command = _dataSource.CreateCommand($"SELECT {QueueRows.Columns}, state FROM queue ORDER BY seq;");
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            // A row that cannot be read is skipped rather than stopping the server from starting.
            if (QueueRows.Read(reader) is not QueuedPrompt prompt)
            {
                continue;
            }
            bool isRunning = reader.GetString(7) == "running";
            if (isRunning && _shared)
            {
                continue;
            }
            (isRunning ? running : pending).Add(new QueueEntry(reader.GetInt64(0), prompt));
        }
        return (pending, running);
    }

    /// <inheritdoc />
    public long NextSequence(long proposed)
    {
        using NpgsqlCommand command = _dataSource.CreateCommand("SELECT nextval('queue_seq');");
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>True on API nodes: prompt numbers come from a database sequence, so every node numbers in one arrival order (owned: the process's counter, as with SQLite).</summary>
    public bool SharesNumbers => _shared;

    /// <inheritdoc />
    long ISharedQueueNumbers.NextNumber()
    {
        using NpgsqlCommand command = _dataSource.CreateCommand("SELECT nextval('queue_number');");
        return (long)command.ExecuteScalar()!;
    }

    /// <inheritdoc />
    public void AddPending(QueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // One statement: the row and the wake-up of idle workers commit together.
        using NpgsqlCommand command = _dataSource.CreateCommand(
            "WITH added AS (INSERT INTO queue(seq, number, number_is_float, priority, prompt_id, client_id, prompt, extra_data, outputs, worker_tags, models, state) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending') RETURNING seq) " +
            $"SELECT pg_notify('{QueueChannel}', seq::text)::text FROM added;");
        QueueRows.AddInsertParameters(command, entry.Sequence, entry.Priority, entry.Prompt);
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void MarkRunning(long sequence) =>
        Execute("UPDATE queue SET state = 'running', attempts = attempts + 1 WHERE seq = $1;", sequence);

    /// <inheritdoc />
    public void RemoveQueued(long sequence) =>
        Execute(_shared ? "DELETE FROM queue WHERE seq = $1 AND state = 'pending';" : "DELETE FROM queue WHERE seq = $1;", sequence);

    /// <inheritdoc />
    public IReadOnlyList<(string PromptId, byte[] EntryJson)> LoadHistory() =>
        HistorySince(0).Select(h => (h.PromptId, h.EntryJson)).ToList();

    /// <summary>Entries stored after <paramref name="sequence"/> (their insertion number), oldest first.</summary>
    public IReadOnlyList<(long Sequence, string PromptId, byte[] EntryJson)> HistorySince(long sequence)
    {
        var result = new List<(long, string, byte[])>();
        using NpgsqlCommand command = _dataSource.CreateCommand("SELECT seq, prompt_id, entry FROM history WHERE seq > $1 ORDER BY seq;");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            result.Add((reader.GetInt64(0), reader.GetString(1), Encoding.UTF8.GetBytes(reader.GetString(2))));
        }
        return result;
    }

    /// <summary>The stored entry of one prompt, or null.</summary>
    public byte[]? HistoryEntry(string promptId)
    {
        using NpgsqlCommand command = _dataSource.CreateCommand("SELECT entry FROM history WHERE prompt_id = $1;");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = promptId });
        return command.ExecuteScalar() is string entry ? Encoding.UTF8.GetBytes(entry) : null;
    }

    /// <summary>The insertion number of the newest history entry (0 when empty).</summary>
    public long LastHistorySequence()
    {
        using NpgsqlCommand command = _dataSource.CreateCommand("SELECT coalesce(max(seq), 0) FROM history;");
        return (long)command.ExecuteScalar()!;
    }

    /// <inheritdoc />
    public void PutHistory(string promptId, byte[] entryJson)
    {
        ArgumentNullException.ThrowIfNull(entryJson);
        Execute(HistorySql.Upsert, promptId, Encoding.UTF8.GetString(entryJson));
    }

    /// <inheritdoc />
    public void DeleteHistory(string promptId) => Execute("DELETE FROM history WHERE prompt_id = $1;", promptId);

    /// <inheritdoc />
    public void ClearHistory() => Execute("DELETE FROM history;");

    /// <summary>True when the database answers a trivial query (a readiness check).</summary>
    public bool IsReachable()
    {
        try
        {
            using NpgsqlCommand command = _dataSource.CreateCommand("SELECT 1;");
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _dataSource.Dispose();

    private void Execute(string sql, params object[] arguments)
    {
        using NpgsqlCommand command = _dataSource.CreateCommand(sql);
        foreach (object argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        }
        command.ExecuteNonQuery();
    }
}
