using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using Microsoft.Data.Sqlite;

namespace ComfySharp.Storage;

/// <summary>
/// Queue and history in one SQLite file (WAL mode). The schema is versioned with
/// <c>PRAGMA user_version</c>; JSON columns hold the exact wire text (Python-style, so int/float
/// distinctions survive a restart).
/// </summary>
/// <remarks>
/// Writes are group-committed: every change joins a FIFO of pending operations and a transaction
/// commits all of them at once, with statements prepared once and reused. <see cref="AddPending"/>
/// (an accepted prompt) returns only after its transaction committed, so a prompt acknowledged to a
/// client survives a crash; with many clients submitting at once, their inserts share a commit (the
/// thread that gets the connection commits what the others queued meanwhile). The other changes —
/// the running mark, removal from the queue, history entries and deletions — are committed by a
/// background writer a moment later (or by the next accepted prompt, whichever comes first), in
/// order, and before <see cref="Dispose"/> returns. A crash in that moment loses at most those
/// changes: the prompt is then found running (or pending) at the next start, as if it had not finished.
/// </remarks>
public sealed class SqlitePromptStore : IQueueStore, IHistoryStore, IDisposable
{
    /// <summary>The schema version this code writes.</summary>
    public const int SchemaVersion = SchemaMigrations.Current;

    // How long the background writer gathers changes after a wake before it commits them.
    private static readonly TimeSpan WriterBatchDelay = TimeSpan.FromMilliseconds(2);

    private readonly SqliteConnection _connection;
    // Guards the connection and its prepared commands.
    private readonly Lock _lock = new();
    // Guards _queued, _committedUpTo and _disposed; waited on for commits.
    private readonly Lock _gate = new();
    private readonly List<Operation> _queued = [];
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Thread _writer;
    private readonly SemaphoreSlim _wake = new(0);
    // Set when the writer has been woken and has not yet taken the queue: one wake per batch, not per change.
    private bool _writerWoken;
    private long _enqueued;
    private long _committedUpTo;
    private Exception? _lastFailure;
    private long _failedFrom = 1;
    private long _failedUpTo;
    private bool _disposed;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public SqlitePromptStore(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        ExecuteNow("PRAGMA journal_mode=WAL;");
        ExecuteNow("PRAGMA synchronous=NORMAL;");
        Migrate();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "ComfySharp SQLite writer" };
        _writer.Start();
    }

    /// <summary>The file's schema version.</summary>
    public int StoredVersion
    {
        get
        {
            lock (_lock)
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "PRAGMA user_version;";
                return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <inheritdoc />
    public (IReadOnlyList<QueueEntry> Pending, IReadOnlyList<QueueEntry> Running) LoadQueue()
    {
        Flush();
        var pending = new List<QueueEntry>();
        var running = new List<QueueEntry>();
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT seq, number, number_is_float, prompt_id, prompt, extra_data, outputs, state FROM queue ORDER BY seq;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                // Read tolerantly (NaN/Infinity stored by older versions read as null); a row that still
                // cannot be read is skipped rather than stopping the server from starting.
                if (ParseStored(reader.GetString(4)) is not JsonObject promptGraph
                    || ParseStored(reader.GetString(5)) is not JsonObject extraData
                    || ParseStored(reader.GetString(6)) is not JsonArray outputs
                    || outputs.Any(o => o?.GetValueKind() != System.Text.Json.JsonValueKind.String))
                {
                    continue;
                }
                var prompt = new QueuedPrompt(
                    reader.GetDouble(1),
                    reader.GetInt64(2) != 0,
                    reader.GetString(3),
                    promptGraph,
                    extraData,
                    outputs.Select(n => (string)n!).ToList());
                var entry = new QueueEntry(reader.GetInt64(0), prompt);
                (reader.GetString(7) == "running" ? running : pending).Add(entry);
            }
        }
        return (pending, running);
    }

    private static JsonNode? ParseStored(string text) => PythonJson.ParseStored(System.Text.Encoding.UTF8.GetBytes(text));

    /// <inheritdoc />
    public void AddPending(QueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        QueuedPrompt p = entry.Prompt;
        long ticket = Enqueue(new Operation(
            "INSERT INTO queue(seq, number, number_is_float, prompt_id, prompt, extra_data, outputs, state) VALUES($1, $2, $3, $4, $5, $6, $7, 'pending');",
            entry.Sequence, p.Number, p.NumberIsFloat ? 1 : 0, p.PromptId,
            PythonJson.Serialize(p.Prompt),
            PythonJson.Serialize(p.ExtraData),
            PythonJson.Serialize(new JsonArray(p.OutputsToExecute.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()))), synchronous: true);
        CommitThrough(ticket);
    }

    /// <inheritdoc />
    public void MarkRunning(long sequence) => Enqueue(new Operation("UPDATE queue SET state = 'running' WHERE seq = $1;", sequence));

    /// <inheritdoc />
    public void RemoveQueued(long sequence) => Enqueue(new Operation("DELETE FROM queue WHERE seq = $1;", sequence));

    /// <inheritdoc />
    public IReadOnlyList<(string PromptId, byte[] EntryJson)> LoadHistory()
    {
        Flush();
        var result = new List<(string, byte[])>();
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT prompt_id, entry FROM history ORDER BY seq;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                result.Add((reader.GetString(0), Encoding.UTF8.GetBytes(reader.GetString(1))));
            }
        }
        return result;
    }

    /// <inheritdoc />
    public void PutHistory(string promptId, byte[] entryJson)
    {
        ArgumentNullException.ThrowIfNull(entryJson);
        // Stored as TEXT, as before entries came serialised (files written by older builds read the same).
        Enqueue(new Operation(
            "INSERT INTO history(prompt_id, entry) VALUES($1, $2) ON CONFLICT(prompt_id) DO UPDATE SET entry = excluded.entry;",
            promptId, Encoding.UTF8.GetString(entryJson)));
    }

    /// <inheritdoc />
    public void DeleteHistory(string promptId) => Enqueue(new Operation("DELETE FROM history WHERE prompt_id = $1;", promptId));

    /// <inheritdoc />
    public void ClearHistory() => Enqueue(new Operation("DELETE FROM history;"));

    /// <summary>True when the database answers a trivial query (a readiness check).</summary>
    public bool IsReachable()
    {
        try
        {
            lock (_lock)
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "SELECT 1;";
                return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
            }
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Commits every change queued so far (a durability point; tests and shutdown use it).</summary>
    public void Flush()
    {
        long ticket;
        lock (_gate)
        {
            ticket = _enqueued;
        }
        CommitThrough(ticket);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _wake.Release();
        _writer.Join();
        try
        {
            Flush();
        }
        catch (SqliteException e)
        {
            Console.Error.WriteLine($"ComfySharp: could not store the last queue/history changes: {e.Message}");
        }
        lock (_lock)
        {
            foreach (SqliteCommand command in _commands.Values)
            {
                command.Dispose();
            }
            _commands.Clear();
            _connection.Dispose();
        }
        _wake.Dispose();
    }

    // A synchronous caller commits the operation itself (CommitThrough); otherwise the background writer does.
    private long Enqueue(Operation operation, bool synchronous = false)
    {
        long ticket;
        bool wake;
        lock (_gate)
        {
            if (_disposed)
            {
                // Only a synchronous caller can be told; a late background change (a prompt finishing
                // while the server shuts down) has nowhere to go once the file is closed.
                ObjectDisposedException.ThrowIf(synchronous, this);
                return 0;
            }
            _queued.Add(operation);
            ticket = ++_enqueued;
            wake = !synchronous && !_writerWoken;
            _writerWoken |= wake;
        }
        if (wake)
        {
            _wake.Release();
        }
        return ticket;
    }

    // Commits queued operations until the one numbered `ticket` is in the database. Whoever holds the
    // connection commits everything queued at that moment, so concurrent callers share transactions.
    private void CommitThrough(long ticket)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_committedUpTo >= ticket)
                {
                    if (ticket >= _failedFrom && ticket <= _failedUpTo && _lastFailure is { } failure)
                    {
                        throw new InvalidOperationException("The queue database could not be written.", failure);
                    }
                    return;
                }
            }
            lock (_lock)
            {
                CommitQueued();
            }
        }
    }

    // Caller holds _lock.
    private void CommitQueued()
    {
        Operation[] batch;
        long last;
        lock (_gate)
        {
            if (_queued.Count == 0)
            {
                return;
            }
            batch = [.. _queued];
            _queued.Clear();
            last = _enqueued;
        }
        Exception? failure = null;
        try
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            foreach (Operation operation in batch)
            {
                SqliteCommand command = Prepared(operation.Sql, operation.Arguments.Length);
                command.Transaction = transaction;
                for (int i = 0; i < operation.Arguments.Length; i++)
                {
                    command.Parameters[i].Value = operation.Arguments[i];
                }
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            failure = e;
            Console.Error.WriteLine($"ComfySharp: a queue/history write failed and was not stored: {e.Message}");
        }
        lock (_gate)
        {
            _committedUpTo = last;
            if (failure is not null)
            {
                _lastFailure = failure;
                _failedFrom = last - batch.Length + 1;
                _failedUpTo = last;
            }
        }
    }

    private SqliteCommand Prepared(string sql, int parameterCount)
    {
        if (!_commands.TryGetValue(sql, out SqliteCommand? command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            for (int i = 1; i <= parameterCount; i++)
            {
                command.Parameters.Add(new SqliteParameter("$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
            }
            _commands[sql] = command;
        }
        return command;
    }

    private void WriteLoop()
    {
        while (true)
        {
            _wake.Wait();
            bool stopping;
            lock (_gate)
            {
                stopping = _disposed;
            }
            if (!stopping)
            {
                // Let the changes of the next moments join this transaction: under load a prompt
                // makes three or four background changes, and a commit (a WAL write) per change
                // cost more than the changes themselves.
                Thread.Sleep(WriterBatchDelay);
            }
            lock (_gate)
            {
                _writerWoken = false;
            }
            lock (_lock)
            {
                CommitQueued();
            }
            if (stopping)
            {
                return;
            }
        }
    }

    private void Migrate()
    {
        lock (_lock)
        {
            SchemaMigrations.Apply(_connection);
        }
    }

    private void ExecuteNow(string sql)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>One queued change: SQL with positional parameters <c>$1</c>, <c>$2</c>, ….</summary>
    private sealed record Operation(string Sql, params object[] Arguments);
}
