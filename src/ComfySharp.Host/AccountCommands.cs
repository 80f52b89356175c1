using System.Globalization;
using ComfySharp.Storage;

namespace ComfySharp.Host;

/// <summary>
/// <c>comfysharp users …</c> and <c>comfysharp keys …</c>: manage the users and API keys of the
/// server's database (the same file the server uses: <c>--database</c>, else
/// <c>&lt;user directory&gt;/comfysharp.db</c>). They act on the file directly, so they work with the server
/// stopped or running (a running server notices a revoked key within seconds).
/// </summary>
internal static class AccountCommands
{
    public static bool IsSubcommand(string firstArgument) => firstArgument is "users" or "keys";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            var positional = new List<string>();
            var options = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (int i = 0; i < args.Count; i++)
            {
                string a = args[i];
                if (a is "--admin")
                {
                    options[a] = null;
                }
                else if (a.StartsWith("--", StringComparison.Ordinal))
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new FlagException($"argument {a}: expected one argument");
                    }
                    options[a] = args[++i];
                }
                else
                {
                    positional.Add(a);
                }
            }
            using var store = new SqliteAccountStore(DatabasePath(options));
            return (positional.ElementAtOrDefault(0), positional.ElementAtOrDefault(1)) switch
            {
                ("users", "add") when positional.Count == 3 => AddUser(store, positional[2], options.ContainsKey("--admin"), output),
                ("users", "list") => ListUsers(store, output),
                ("keys", "create") when positional.Count == 3 => CreateKey(store, positional[2], Int(options, "--max-pending"), Int(options, "--per-minute"), output),
                ("keys", "list") => ListKeys(store, output),
                ("keys", "revoke") when positional.Count == 3 => Revoke(store, positional[2], output, error),
                _ => throw new FlagException("usage: comfysharp users add NAME [--admin] | users list | keys create USER [--max-pending N] [--per-minute N] | keys list | keys revoke ID|PREFIX"),
            };
        }
        catch (Exception e) when (e is FlagException or InvalidOperationException)
        {
            error.WriteLine($"comfysharp: error: {e.Message}");
            return 2;
        }
    }

    private static string DatabasePath(Dictionary<string, string?> options)
    {
        // With a PostgreSQL queue, accounts stay in the node's SQLite file (docs/scale-out.md).
        if (options.TryGetValue("--database", out string? db) && !string.IsNullOrEmpty(db) && !ComfySharp.Storage.Postgres.PostgresAddress.IsPostgres(db))
        {
            return db;
        }
        string baseDirectory = Path.GetFullPath(options.GetValueOrDefault("--base-directory") ?? Directory.GetCurrentDirectory());
        string user = options.GetValueOrDefault("--user-directory") ?? Path.Combine(baseDirectory, "user");
        return Path.Combine(user, "comfysharp.db");
    }

    private static int? Int(Dictionary<string, string?> options, string name)
    {
        if (!options.TryGetValue(name, out string? text))
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new FlagException($"argument {name}: expected a positive integer, got '{text}'");
    }

    private static int AddUser(SqliteAccountStore store, string name, bool admin, TextWriter output)
    {
        UserRecord user = store.AddUser(name, admin);
        output.WriteLine($"user {user.Name} added (id {user.Id}{(admin ? ", admin" : "")})");
        return 0;
    }

    private static int ListUsers(SqliteAccountStore store, TextWriter output)
    {
        foreach (UserRecord user in store.Users())
        {
            output.WriteLine($"{user.Id}\t{user.Name}{(user.IsAdmin ? "\tadmin" : "")}");
        }
        return 0;
    }

    private static int CreateKey(SqliteAccountStore store, string userName, int? maxPending, int? perMinute, TextWriter output)
    {
        CreatedApiKey created = store.CreateKey(userName, maxPending, perMinute);
        output.WriteLine(created.Key);
        output.WriteLine($"# key id {created.Record.Id} for {userName}; shown once, only its hash is stored.");
        output.WriteLine($"# webhook signing secret: {created.Record.WebhookSecret}");
        return 0;
    }

    private static int ListKeys(SqliteAccountStore store, TextWriter output)
    {
        foreach (ApiKeyRecord key in store.AllKeys())
        {
            string quotas = $"max_pending={key.MaxPending?.ToString(CultureInfo.InvariantCulture) ?? "-"} per_minute={key.PerMinute?.ToString(CultureInfo.InvariantCulture) ?? "-"}";
            output.WriteLine($"{key.Id}\t{key.Prefix}…\t{key.User.Name}\t{quotas}{(key.Revoked ? "\trevoked" : "")}");
        }
        return 0;
    }

    private static int Revoke(SqliteAccountStore store, string idOrPrefix, TextWriter output, TextWriter error)
    {
        if (!store.RevokeKey(idOrPrefix))
        {
            error.WriteLine($"comfysharp: error: no live key '{idOrPrefix}'");
            return 1;
        }
        output.WriteLine($"key {idOrPrefix} revoked");
        return 0;
    }
}
