using ComfySharp.Server;
using ComfySharp.Storage.Postgres;

namespace ComfySharp.Host;

/// <summary>The scale-out flags: <c>--role</c>, <c>--retry</c>, <c>--lease-seconds</c>, <c>--worker-id</c>, <c>--worker-tags</c> (docs/scale-out.md).</summary>
internal static class ScaleOutFlags
{
    public static void Apply(ServerFlags flags, ComfyServerOptions options)
    {
        options.Role = (flags.Value("--role") ?? "all") switch
        {
            "all" => ServerRole.All,
            "api" => ServerRole.Api,
            "worker" => ServerRole.Worker,
            string other => throw new FlagException($"argument --role: invalid choice: '{other}' (choose from 'all', 'api', 'worker')"),
        };
        options.MaxAttempts = (flags.Value("--retry") ?? "once") switch
        {
            "once" => 2,
            "never" => 1,
            string other => throw new FlagException($"argument --retry: invalid choice: '{other}' (choose from 'once', 'never')"),
        };
        if (flags.Float("--lease-seconds") is double lease)
        {
            options.LeaseSeconds = lease is >= 1 and <= 3600 ? lease : throw new FlagException($"argument --lease-seconds: must be between 1 and 3600: '{lease}'");
        }
        options.WorkerId = flags.Value("--worker-id");
        options.WorkerTags = PromptRouting.ParseTags(flags.Value("--worker-tags"));
        bool postgres = PostgresAddress.IsPostgres(options.DatabasePath);
        if (postgres)
        {
            try
            {
                PostgresAddress.ToConnectionString(options.DatabasePath!);
            }
            catch (ArgumentException e)
            {
                throw new FlagException($"argument --database: {e.Message}");
            }
        }
        if (options.Role != ServerRole.All && (!postgres || options.InMemoryStore))
        {
            throw new FlagException($"argument --role: '{flags.Value("--role")}' needs a PostgreSQL --database (postgres://user@host:port/db), without --in-memory");
        }
    }
}
