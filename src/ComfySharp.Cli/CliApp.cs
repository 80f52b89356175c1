using System.CommandLine;
using System.Net.Sockets;
using ComfySharp.Client;

namespace ComfySharp.Cli;

/// <summary>
/// The <c>comfysharp</c> client subcommands (<c>run</c>, <c>queue</c>, <c>history</c>, <c>interrupt</c>, <c>nodes</c>,
/// <c>models</c>, <c>upload</c>, <c>status</c>, <c>jobs</c>, <c>free</c>, <c>cancel</c>, <c>events</c>) against any ComfyUI-compatible server.
/// </summary>
public static class CliApp
{
    /// <summary>Exit code for bad input (unreadable or malformed workflow, bad arguments).</summary>
    public const int ExitBadInput = 2;

    /// <summary>Exit code when the server cannot be reached.</summary>
    public const int ExitUnreachable = 3;

    /// <summary>Exit code when the server rejected the prompt.</summary>
    public const int ExitRejected = 4;

    /// <summary>Exit code when the prompt ran and failed or was interrupted.</summary>
    public const int ExitFailed = 5;

    /// <summary>Exit code of <c>run --wait</c> when the prompt was still running as the wait ran out.</summary>
    public const int ExitStillRunning = 6;

    private const string DefaultServer = "http://127.0.0.1:8188";

    /// <summary>Runs a subcommand. With null writers the console is used (live progress when it is a terminal).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default)
    {
        bool interactive = stdout is null && !Console.IsOutputRedirected;
        var output = new CliOutput(stdout ?? Console.Out, stderr ?? Console.Error, interactive);
        RootCommand root = Build(output);
        ParseResult parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output.Out, Error = output.Err }, cancellationToken).ConfigureAwait(false);
    }

    private static readonly Option<string> ServerOption = new("--server", "-s")
    {
        Description = "Server URL (default $COMFY_SERVER or " + DefaultServer + ")",
        Recursive = true,
    };

    private static readonly Option<string> TokenOption = new("--token")
    {
        Description = "Bearer token for the Authorization header (default $COMFY_TOKEN)",
        Recursive = true,
    };

    private static readonly Option<string> ApiKeyOption = new("--api-key")
    {
        Description = "ComfySharp API key, sent as Authorization: Bearer and ?token= on /ws (default $COMFYSHARP_API_KEY)",
        Recursive = true,
    };

    private static RootCommand Build(CliOutput output)
    {
        var root = new RootCommand("comfysharp client commands: drive a ComfyUI-compatible server");
        root.Options.Add(ServerOption);
        root.Options.Add(TokenOption);
        root.Options.Add(ApiKeyOption);
        root.Subcommands.Add(Commands.RunCommand.Create(output));
        root.Subcommands.Add(Commands.QueueCommand.Create(output));
        root.Subcommands.Add(Commands.HistoryCommand.Create(output));
        root.Subcommands.Add(Commands.InterruptCommand.Create(output));
        root.Subcommands.Add(Commands.NodesCommand.Create(output));
        root.Subcommands.Add(Commands.ModelsCommand.Create(output));
        root.Subcommands.Add(Commands.UploadCommand.Create(output));
        root.Subcommands.Add(Commands.StatusCommand.Create(output));
        root.Subcommands.Add(Commands.JobsCommand.Create(output));
        root.Subcommands.Add(Commands.FreeCommand.Create(output));
        root.Subcommands.Add(Commands.CancelCommand.Create(output));
        root.Subcommands.Add(Commands.EventsCommand.Create(output));
        return root;
    }

    /// <summary>Connects to the server named by the options and maps every failure to one error line and an exit code.</summary>
    internal static async Task<int> Guard(CliOutput output, ParseResult parse, Func<ComfyClient, Task<int>> action)
    {
        string server = parse.GetValue(ServerOption) ?? Environment.GetEnvironmentVariable("COMFY_SERVER") ?? DefaultServer;
        string? token = parse.GetValue(TokenOption) ?? Environment.GetEnvironmentVariable("COMFY_TOKEN");
        string? apiKey = parse.GetValue(ApiKeyOption) ?? Environment.GetEnvironmentVariable("COMFYSHARP_API_KEY");
        if (!Uri.TryCreate(server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server, UriKind.Absolute, out Uri? uri))
        {
            output.Error($"'{server}' is not a server URL");
            return ExitBadInput;
        }
        try
        {
            using var client = new ComfyClient(uri, new ComfyClientOptions { Token = token, ApiKey = apiKey, MaxReconnectAttempts = 8 });
            return await action(client).ConfigureAwait(false);
        }
        catch (CliInputException ex)
        {
            output.Error(ex.Message);
            return ExitBadInput;
        }
        catch (Exception ex) when (ex is FormatException or KeyNotFoundException)
        {
            output.Error(ex.Message);
            return ExitBadInput;
        }
        catch (ComfyPromptException ex)
        {
            output.Error($"the server rejected the workflow: {ex.Message}");
            return ExitRejected;
        }
        catch (ComfyExecutionException ex)
        {
            output.Error(ex.Message);
            return ExitFailed;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or System.Net.WebSockets.WebSocketException)
        {
            output.Error($"cannot reach {uri}: {ex.Message}");
            return ExitUnreachable;
        }
        catch (ComfyClientException ex)
        {
            output.Error(ex.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            output.Error("cancelled");
            return 130;
        }
    }
}
