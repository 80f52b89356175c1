using Npgsql;
using Xunit;

namespace ComfySharp.Server.Tests.Storage;

/// <summary>
/// A fresh, empty database on the throw-away cluster <c>build/postgres.sh</c> started for this test run
/// (<c>COMFYSHARP_TEST_POSTGRES</c> holds its connection string), dropped on dispose. Without that
/// variable the test is skipped, except under CI (<c>CI=true</c>), where a missing cluster is a failure.
/// </summary>
public sealed class PostgresTestDatabase : IDisposable
{
    /// <summary>The variable <c>build/postgres.sh start</c> exports.</summary>
    public const string Variable = "COMFYSHARP_TEST_POSTGRES";

    private readonly string _admin;
    private readonly string _name;

    private PostgresTestDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>The connection string of the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>A <c>postgres://</c> URL of the new database (what <c>--database</c> takes).</summary>
    public string Url
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
    }

    /// <summary>Creates the database, or skips the test when no cluster was started (see the class remarks).</summary>
    public static PostgresTestDatabase Create()
    {
        string? admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(admin))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
                $"{Variable} is not set under CI: build/test.sh starts the cluster with build/postgres.sh.");
            Assert.Skip($"{Variable} is not set: run `eval \"$(build/postgres.sh start)\"` first.");
        }
        string name = "t_" + Guid.NewGuid().ToString("N");
        using var connection = new NpgsqlConnection(admin);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
        command.ExecuteNonQuery();
        return new PostgresTestDatabase(admin, name);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(_admin);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE);", connection);
        command.ExecuteNonQuery();
    }
}
