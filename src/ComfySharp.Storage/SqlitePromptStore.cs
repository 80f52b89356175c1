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
public sealed class SqlitePromptStore : IQueueStore, IHistoryStore, IDisposable
{
    /// <summary>The schema version this code writes.</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

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
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA synchronous=NORMAL;");
        Migrate();
    }

    /// <summary>The file's schema version.</summary>
    public int StoredVersion => Convert.ToInt32(Scalar("PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public (IReadOnlyList<QueueEntry> Pending, IReadOnlyList<QueueEntry> Running) LoadQueue()
    {
        var pending = new List<QueueEntry>();
        var running = new List<QueueEntry>();
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT seq, number, number_is_float, prompt_id, prompt, extra_data, outputs, state FROM queue ORDER BY seq;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var prompt = new QueuedPrompt(
                    reader.GetDouble(1),
                    reader.GetInt64(2) != 0,
                    reader.GetString(3),
                    (JsonObject)PythonJson.Parse(reader.GetString(4))!,
                    (JsonObject)PythonJson.Parse(reader.GetString(5))!,
                    ((JsonArray)PythonJson.Parse(reader.GetString(6))!).Select(n => (string)n!).ToList());
                var entry = new QueueEntry(reader.GetInt64(0), prompt);
                (reader.GetString(7) == "running" ? running : pending).Add(entry);
            }
        }
        return (pending, running);
    }

    /// <inheritdoc />
    public void AddPending(QueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        QueuedPrompt p = entry.Prompt;
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO queue(seq, number, number_is_float, prompt_id, prompt, extra_data, outputs, state) VALUES($seq, $n, $f, $id, $p, $x, $o, 'pending');";
            cmd.Parameters.AddWithValue("$seq", entry.Sequence);
            cmd.Parameters.AddWithValue("$n", p.Number);
            cmd.Parameters.AddWithValue("$f", p.NumberIsFloat ? 1 : 0);
            cmd.Parameters.AddWithValue("$id", p.PromptId);
            cmd.Parameters.AddWithValue("$p", PythonJson.Serialize(p.Prompt));
            cmd.Parameters.AddWithValue("$x", PythonJson.Serialize(p.ExtraData));
            cmd.Parameters.AddWithValue("$o", PythonJson.Serialize(new JsonArray(p.OutputsToExecute.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray())));
            cmd.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public void MarkRunning(long sequence) => Execute("UPDATE queue SET state = 'running' WHERE seq = $seq;", ("$seq", sequence));

    /// <inheritdoc />
    public void RemoveQueued(long sequence) => Execute("DELETE FROM queue WHERE seq = $seq;", ("$seq", sequence));

    /// <inheritdoc />
    public IReadOnlyList<(string PromptId, JsonObject Entry)> LoadHistory()
    {
        var result = new List<(string, JsonObject)>();
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT prompt_id, entry FROM history ORDER BY seq;";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                result.Add((reader.GetString(0), (JsonObject)PythonJson.Parse(reader.GetString(1))!));
            }
        }
        return result;
    }

    /// <inheritdoc />
    public void PutHistory(string promptId, JsonObject entry) =>
        Execute("INSERT INTO history(prompt_id, entry) VALUES($id, $e) ON CONFLICT(prompt_id) DO UPDATE SET entry = excluded.entry;",
            ("$id", promptId), ("$e", PythonJson.Serialize(entry)));

    /// <inheritdoc />
    public void DeleteHistory(string promptId) => Execute("DELETE FROM history WHERE prompt_id = $id;", ("$id", promptId));

    /// <inheritdoc />
    public void ClearHistory() => Execute("DELETE FROM history;");

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }

    private void Migrate()
    {
        int version = StoredVersion;
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"The database was written by a newer ComfySharp (schema {version}, this build knows {SchemaVersion}).");
        }
        if (version < 1)
        {
            Execute("""
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
                PRAGMA user_version = 1;
                """);
        }
    }

    private object? Scalar(string sql)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                cmd.Parameters.AddWithValue(name, value);
            }
            cmd.ExecuteNonQuery();
        }
    }
}
