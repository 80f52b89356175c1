using ComfySharp.Host;
using ComfySharp.Storage;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary><c>comfysharp users …</c> / <c>keys …</c> against a database file.</summary>
public sealed class AccountCommandsTests
{
    [Fact]
    public void Users_add_keys_create_and_revoke_act_on_the_database()
    {
        string db = Path.Combine(TestPaths.NewTempDirectory("comfysharp-accounts"), "user", "comfysharp.db");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, AccountCommands.Run(["users", "add", "eve", "--admin", "--database", db], output, error));
        Assert.Equal(2, AccountCommands.Run(["users", "add", "eve", "--database", db], output, error));
        Assert.Contains("already exists", error.ToString(), StringComparison.Ordinal);
        var created = new StringWriter();
        Assert.Equal(0, AccountCommands.Run(["keys", "create", "eve", "--max-pending", "3", "--database", db], created, error));
        string key = created.ToString().Split('\n')[0].Trim();
        Assert.StartsWith(SqliteAccountStore.KeyPrefix, key, StringComparison.Ordinal);
        using (var store = new SqliteAccountStore(db))
        {
            ApiKeyRecord record = store.FindKey(key)!;
            Assert.True(record.User.IsAdmin);
            Assert.Equal(3, record.MaxPending);
            // Only the hash is stored.
            Assert.DoesNotContain(key, File.ReadAllText(db + "-wal", System.Text.Encoding.Latin1) + File.ReadAllText(db, System.Text.Encoding.Latin1), StringComparison.Ordinal);
            Assert.Equal(0, AccountCommands.Run(["keys", "revoke", record.Prefix, "--database", db], output, error));
            Assert.Null(store.FindKey(key));
        }
        Assert.Equal(1, AccountCommands.Run(["keys", "revoke", "999", "--database", db], output, error));
    }
}
