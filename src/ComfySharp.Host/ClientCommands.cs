namespace ComfySharp.Host;

/// <summary>
/// The client subcommands (<c>comfysharp run ...</c>) that act on a running server. They live in
/// ComfySharp.Cli; the host only dispatches on the first argument so server flags and subcommands never clash.
/// </summary>
internal static class ClientCommands
{
    private static readonly string[] Names = ["run", "queue", "history", "interrupt", "status", "upload", "models", "nodes", "jobs", "free"];

    /// <summary>True when the first argument names a subcommand rather than a server flag.</summary>
    public static bool IsSubcommand(string firstArgument) => Names.Contains(firstArgument);

    /// <summary>Runs a subcommand.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> args) => ComfySharp.Cli.CliApp.RunAsync([.. args]);
}
