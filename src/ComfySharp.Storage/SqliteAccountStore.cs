using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace ComfySharp.Storage;

/// <summary>A user.</summary>
/// <param name="Id">Row id.</param>
/// <param name="Name">Unique name.</param>
/// <param name="IsAdmin">Sees and manages everyone's work.</param>
public sealed record UserRecord(long Id, string Name, bool IsAdmin);

/// <summary>An API key as stored (the key itself is never stored, only its SHA-256).</summary>
/// <param name="Id">Row id.</param>
/// <param name="Prefix">The first characters of the key, to name it in listings and <c>keys revoke</c>.</param>
/// <param name="User">Its user.</param>
/// <param name="MaxPending">Quota: prompts pending or running at once; null = unlimited.</param>
/// <param name="PerMinute">Quota: prompts accepted per minute; null = unlimited.</param>
/// <param name="WebhookSecret">Signs this key's webhook deliveries (<c>whsec_</c> + base64).</param>
/// <param name="Revoked">True once revoked.</param>
public sealed record ApiKeyRecord(long Id, string Prefix, UserRecord User, int? MaxPending, int? PerMinute, string WebhookSecret, bool Revoked);

/// <summary>A newly created key: the only time the key text exists outside the caller.</summary>
/// <param name="Key">The bearer token (<c>csk_…</c>).</param>
/// <param name="Record">What is stored.</param>
public sealed record CreatedApiKey(string Key, ApiKeyRecord Record);

/// <summary>A webhook delivery waiting to be (re)tried.</summary>
/// <param name="Id">The <c>webhook-id</c> (stable across retries).</param>
/// <param name="Url">Where to POST.</param>
/// <param name="Secret">Signing secret (<c>whsec_…</c>), or null to send unsigned.</param>
/// <param name="Payload">The JSON body.</param>
/// <param name="Attempts">Attempts made so far.</param>
public sealed record WebhookDelivery(string Id, string Url, string? Secret, string Payload, int Attempts);

/// <summary>
/// Users, API keys and webhook deliveries in the server's SQLite file (schema version 2). Opens its
/// own connection (WAL lets it sit beside the queue store's); every call is one short statement.
/// </summary>
public sealed class SqliteAccountStore : IDisposable
{
    /// <summary>The prefix of every API key.</summary>
    public const string KeyPrefix = "csk_";

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    /// <summary>Opens (creating and migrating if needed) the database at <paramref name="path"/>.</summary>
    public SqliteAccountStore(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 10 }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("PRAGMA busy_timeout=5000;");
        SchemaMigrations.Apply(_connection);
    }

    /// <summary>SHA-256 of a key, hex. Keys are 256 random bits, so a fast hash suffices (no salt or stretching needed).</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key ?? "")));

    /// <summary>Adds a user; throws <see cref="InvalidOperationException"/> when the name is taken or not a plain name.</summary>
    public UserRecord AddUser(string name, bool isAdmin)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') || name.StartsWith('.'))
        {
            throw new InvalidOperationException($"'{name}' is not a valid user name (letters, digits, '_', '-', '.'; at most 64).");
        }
        if (FindUser(name) is not null)
        {
            throw new InvalidOperationException($"User '{name}' already exists.");
        }
        long id = Scalar("INSERT INTO users(name, is_admin, created_ms) VALUES($1, $2, $3) RETURNING id;", name, isAdmin ? 1 : 0, Now());
        return new UserRecord(id, name, isAdmin);
    }

    /// <summary>The user of this name, or null.</summary>
    public UserRecord? FindUser(string name) =>
        Query("SELECT id, name, is_admin FROM users WHERE name = $1;", r => new UserRecord(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0), name).FirstOrDefault();

    /// <summary>Every user.</summary>
    public IReadOnlyList<UserRecord> Users() =>
        Query("SELECT id, name, is_admin FROM users ORDER BY id;", r => new UserRecord(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0));

    /// <summary>Creates a key for a user; throws when the user does not exist.</summary>
    public CreatedApiKey CreateKey(string userName, int? maxPending = null, int? perMinute = null)
    {
        UserRecord user = FindUser(userName) ?? throw new InvalidOperationException($"No user '{userName}' (add it with `comfysharp users add {userName}`).");
        string key = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        string secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string prefix = key[..(KeyPrefix.Length + 8)];
        long id = Scalar("INSERT INTO api_keys(user_id, prefix, key_hash, max_pending, per_minute, webhook_secret, created_ms) VALUES($1, $2, $3, $4, $5, $6, $7) RETURNING id;",
            user.Id, prefix, Hash(key), (object?)maxPending ?? DBNull.Value, (object?)perMinute ?? DBNull.Value, secret, Now());
        return new CreatedApiKey(key, new ApiKeyRecord(id, prefix, user, maxPending, perMinute, secret, false));
    }

    /// <summary>The live (not revoked) key with this text, or null.</summary>
    public ApiKeyRecord? FindKey(string key)
    {
        List<ApiKeyRecord> found = Keys("WHERE k.key_hash = $1 AND k.revoked_ms IS NULL", Hash(key));
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>Every key, revoked ones included.</summary>
    public IReadOnlyList<ApiKeyRecord> AllKeys() => Keys("");

    /// <summary>Revokes the key whose id or prefix is given (a prefix must name one key); true when one was revoked.</summary>
    public bool RevokeKey(string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        var matches = AllKeys().Where(k => !k.Revoked && (k.Id.ToString(CultureInfo.InvariantCulture) == idOrPrefix
            || (idOrPrefix.Length >= 6 && k.Prefix.StartsWith(idOrPrefix, StringComparison.Ordinal)))).ToList();
        if (matches.Count > 1)
        {
            throw new InvalidOperationException($"'{idOrPrefix}' names {matches.Count} keys; give the key id.");
        }
        if (matches.Count == 0)
        {
            return false;
        }
        Scalar("UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 RETURNING id;", Now(), matches[0].Id);
        return true;
    }

    /// <summary>Stores a delivery to attempt now.</summary>
    public void AddDelivery(WebhookDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        Scalar("INSERT INTO webhook_deliveries(id, url, secret, payload, attempts, next_attempt_ms, state, created_ms) VALUES($1, $2, $3, $4, 0, $5, 'pending', $5) RETURNING 1;",
            delivery.Id, delivery.Url, (object?)delivery.Secret ?? DBNull.Value, delivery.Payload, Now());
    }

    /// <summary>Pending deliveries whose next attempt is due, oldest first; and the earliest later due time (or null).</summary>
    public (IReadOnlyList<WebhookDelivery> Due, DateTimeOffset? Next) DueDeliveries(DateTimeOffset now)
    {
        long ms = now.ToUnixTimeMilliseconds();
        var due = Query("SELECT id, url, secret, payload, attempts FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_ms <= $1 ORDER BY next_attempt_ms LIMIT 100;",
            r => new WebhookDelivery(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), (int)r.GetInt64(4)), ms);
        var next = Query("SELECT MIN(next_attempt_ms) FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_ms > $1;", r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), ms).FirstOrDefault();
        return (due, next is long n ? DateTimeOffset.FromUnixTimeMilliseconds(n) : null);
    }

    /// <summary>Records an attempt: delivered, retry at <paramref name="retryAt"/>, or given up (<paramref name="retryAt"/> null).</summary>
    public void RecordAttempt(string id, bool delivered, DateTimeOffset? retryAt, string? error)
    {
        string state = delivered ? "delivered" : retryAt is null ? "failed" : "pending";
        Scalar("UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, next_attempt_ms = $2, last_error = $3 WHERE id = $4 RETURNING 1;",
            state, retryAt?.ToUnixTimeMilliseconds() ?? Now(), (object?)error ?? DBNull.Value, id);
    }

    /// <summary>The state of a delivery (<c>pending</c>, <c>delivered</c>, <c>failed</c>) and its attempts, or null.</summary>
    public (string State, int Attempts)? DeliveryState(string id) =>
        Query("SELECT state, attempts FROM webhook_deliveries WHERE id = $1;", r => ((string, int)?)(r.GetString(0), (int)r.GetInt64(1)), id).FirstOrDefault();

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }

    private List<ApiKeyRecord> Keys(string where, params object[] args) => Query(
        "SELECT k.id, k.prefix, u.id, u.name, u.is_admin, k.max_pending, k.per_minute, k.webhook_secret, k.revoked_ms FROM api_keys k JOIN users u ON u.id = k.user_id " + where + " ORDER BY k.id;",
        r => new ApiKeyRecord(r.GetInt64(0), r.GetString(1), new UserRecord(r.GetInt64(2), r.GetString(3), r.GetInt64(4) != 0),
            r.IsDBNull(5) ? null : (int)r.GetInt64(5), r.IsDBNull(6) ? null : (int)r.GetInt64(6), r.GetString(7), !r.IsDBNull(8)), args);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Execute(string sql)
    {
        lock (_lock)
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private long Scalar(string sql, params object[] args) =>
        Query(sql, r => r.IsDBNull(0) ? 0 : r.GetInt64(0), args).FirstOrDefault();

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params object[] args)
    {
        lock (_lock)
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = sql;
            for (int i = 0; i < args.Length; i++)
            {
                command.Parameters.AddWithValue("$" + (i + 1).ToString(CultureInfo.InvariantCulture), args[i]);
            }
            using SqliteDataReader reader = command.ExecuteReader();
            var result = new List<T>();
            while (reader.Read())
            {
                result.Add(read(reader));
            }
            return result;
        }
    }
}
