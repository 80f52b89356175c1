using System.Globalization;
using Npgsql;

namespace ComfySharp.Storage.Postgres;

/// <summary>
/// Reads the <c>--database</c> value: a <c>postgres://user:password@host:port/db?sslmode=…</c> URL or an
/// Npgsql connection string (<c>Host=…;Database=…</c>) selects PostgreSQL; anything else is a SQLite file.
/// </summary>
public static class PostgresAddress
{
    /// <summary>True when <paramref name="database"/> names a PostgreSQL database rather than a SQLite file.</summary>
    public static bool IsPostgres(string? database) =>
        database is not null
        && (database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || (database.Contains('=', StringComparison.Ordinal) && database.Contains("host", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The Npgsql connection string for a URL or a connection string; throws <see cref="ArgumentException"/> for a malformed one.</summary>
    public static string ToConnectionString(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (!database.Contains("://", StringComparison.Ordinal))
        {
            return new NpgsqlConnectionStringBuilder(database).ConnectionString;
        }
        if (!Uri.TryCreate(database, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            throw new ArgumentException($"Not a PostgreSQL URL: '{Redacted(database)}' (expected postgres://user@host:port/database).", nameof(database));
        }
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(user[0]);
            if (user.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(user[1]);
            }
        }
        string path = uri.AbsolutePath.Trim('/');
        builder.Database = path.Length > 0 ? Uri.UnescapeDataString(path) : builder.Username ?? "postgres";
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            // libpq spells it sslmode; Npgsql takes "SSL Mode" and most other keys as they are.
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }
        return builder.ConnectionString;
    }

    /// <summary>The address with its password replaced by <c>***</c>, for logs.</summary>
    public static string Redacted(string database)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database.Contains("://", StringComparison.Ordinal))
        {
            int at = database.IndexOf('@', StringComparison.Ordinal);
            int scheme = database.IndexOf("://", StringComparison.Ordinal) + 3;
            int colon = database.IndexOf(':', scheme);
            return at > 0 && colon > 0 && colon < at ? database[..(colon + 1)] + "***" + database[at..] : database;
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(database);
            if (builder.Password is not null)
            {
                builder.Password = "***";
            }
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    /// <summary>A short text of where the database is (host:port/database), for logs and <c>/system_stats</c>.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database}");
    }
}
