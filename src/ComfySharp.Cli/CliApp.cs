using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Client;
using Spectre.Console;

namespace ComfySharp.Cli;

/// <summary>
/// The <c>comfysharp</c> client subcommands (<c>run</c>, <c>queue</c>, <c>history</c>, <c>interrupt</c>, <c>nodes</c>,
/// <c>models</c>, <c>upload</c>, <c>status</c>, <c>jobs</c>, <c>free</c>) against any ComfyUI-compatible server.
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

    private static RootCommand Build(CliOutput output)
    {
        var root = new RootCommand("comfysharp client commands: drive a ComfyUI-compatible server");
        root.Options.Add(ServerOption);
        root.Options.Add(TokenOption);
        root.Subcommands.Add(RunCommand(output));
        root.Subcommands.Add(QueueCommand(output));
        root.Subcommands.Add(HistoryCommand(output));
        root.Subcommands.Add(InterruptCommand(output));
        root.Subcommands.Add(NodesCommand(output));
        root.Subcommands.Add(ModelsCommand(output));
        root.Subcommands.Add(UploadCommand(output));
        root.Subcommands.Add(StatusCommand(output));
        root.Subcommands.Add(JobsCommand(output));
        root.Subcommands.Add(FreeCommand(output));
        return root;
    }

    private static Command RunCommand(CliOutput output)
    {
        var workflow = new Argument<string>("workflow") { Description = "Workflow JSON file (API format or the frontend's saved format)" };
        var set = new Option<string[]>("--set") { Description = "Override an input: NODE.INPUT=VALUE (NODE = id, class or title; VALUE = JSON or text)", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string>("--out", "-o") { Description = "Directory for the output files", DefaultValueFactory = _ => "." };
        var temp = new Option<bool>("--temp") { Description = "Also download temp files (PreviewImage)" };
        var command = new Command("run", "Queue a workflow, show its progress and download its outputs") { workflow, set, outDir, temp };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            string path = parse.GetValue(workflow)!;
            JsonObject prompt = await LoadWorkflowAsync(client, path, ct).ConfigureAwait(false);
            foreach (string assignment in parse.GetValue(set) ?? [])
            {
                PromptEdits.Apply(prompt, assignment);
            }
            var display = new RunDisplay(output, prompt);
            var options = new RunOptions
            {
                DownloadDirectory = parse.GetValue(outDir),
                DownloadTemp = parse.GetValue(temp),
                ThrowOnFailure = false,
                OnEvent = display.Handle,
            };
            RunResult result = output.Interactive
                ? await display.RunLiveAsync(() => client.RunAsync(prompt, options, ct)).ConfigureAwait(false)
                : await client.RunAsync(prompt, options, ct).ConfigureAwait(false);
            foreach (string file in result.DownloadedFiles)
            {
                output.Line($"saved {file}");
            }
            if (!result.Succeeded)
            {
                output.Error(new ComfyExecutionException(result.History).Message);
                return ExitFailed;
            }
            output.Line($"done {result.PromptId}: {result.History.Files.Count} file(s)");
            return 0;
        }));
        return command;
    }

    /// <summary>Reads a workflow file; converts the frontend format with the server's /object_info.</summary>
    internal static async Task<JsonObject> LoadWorkflowAsync(ComfyClient client, string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"workflow file '{path}' not found");
        }
        JsonObject document;
        try
        {
            document = JsonNode.Parse(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) as JsonObject
                ?? throw new CliInputException($"'{path}' is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new CliInputException($"'{path}' is not valid JSON: {ex.Message}");
        }
        if (UiWorkflowConverter.IsUiFormat(document))
        {
            JsonObject objectInfo = await client.GetObjectInfoAsync(ct).ConfigureAwait(false);
            try
            {
                return UiWorkflowConverter.Convert(document, objectInfo);
            }
            catch (FormatException ex)
            {
                throw new CliInputException($"'{path}': {ex.Message}");
            }
        }
        // A saved API request body ({"prompt": {...}}) is accepted too.
        if (document["prompt"] is JsonObject inner && document.Count <= 4)
        {
            document = inner;
        }
        foreach ((string id, JsonNode? node) in document)
        {
            if (node is not JsonObject n || n["class_type"] is null)
            {
                throw new CliInputException($"'{path}' is neither an API-format workflow nor a frontend workflow (entry '{id}' has no class_type)");
            }
        }
        return document;
    }

    private static Command QueueCommand(CliOutput output)
    {
        var clear = new Option<bool>("--clear") { Description = "Drop every pending prompt" };
        var delete = new Option<string[]>("--delete") { Description = "Remove pending prompts by id", AllowMultipleArgumentsPerToken = true };
        var command = new Command("queue", "Show (or clear) the queue") { clear, delete };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            if (parse.GetValue(clear))
            {
                await client.ClearQueueAsync(ct).ConfigureAwait(false);
            }
            if (parse.GetValue(delete) is { Length: > 0 } ids)
            {
                await client.DeleteFromQueueAsync(ids, ct).ConfigureAwait(false);
            }
            QueueState queue = await client.GetQueueAsync(ct).ConfigureAwait(false);
            foreach (QueueItem item in queue.Running)
            {
                output.Line($"running  {item.PromptId}  #{item.Number}  {item.Prompt.Count} nodes");
            }
            foreach (QueueItem item in queue.Pending)
            {
                output.Line($"pending  {item.PromptId}  #{item.Number}  {item.Prompt.Count} nodes");
            }
            output.Line($"{queue.Running.Count} running, {queue.Pending.Count} pending");
            return 0;
        }));
        return command;
    }

    private static Command HistoryCommand(CliOutput output)
    {
        var max = new Option<int?>("--max", "-n") { Description = "Only the last N entries" };
        var clear = new Option<bool>("--clear") { Description = "Delete all history" };
        var id = new Argument<string?>("prompt-id") { Description = "Show one prompt's outputs", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("history", "List finished prompts") { max, clear, id };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            if (parse.GetValue(clear))
            {
                await client.ClearHistoryAsync(ct).ConfigureAwait(false);
                output.Line("history cleared");
                return 0;
            }
            if (parse.GetValue(id) is { } promptId)
            {
                HistoryEntry entry = await client.GetHistoryAsync(promptId, ct).ConfigureAwait(false)
                    ?? throw new CliInputException($"no history entry '{promptId}'");
                output.Line($"{entry.PromptId}  {entry.StatusString}");
                foreach (ImageRef file in entry.Files)
                {
                    output.Line($"  {file.Type}/{(file.Subfolder.Length > 0 ? file.Subfolder + "/" : "")}{file.Filename}");
                }
                return 0;
            }
            foreach (HistoryEntry entry in await client.GetHistoryAsync(parse.GetValue(max), null, ct).ConfigureAwait(false))
            {
                output.Line($"{entry.PromptId}  {entry.StatusString,-7}  {entry.Files.Count} file(s)");
            }
            return 0;
        }));
        return command;
    }

    private static Command InterruptCommand(CliOutput output)
    {
        var id = new Argument<string?>("prompt-id") { Description = "Interrupt only if this prompt is running", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("interrupt", "Interrupt the running prompt") { id };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            await client.InterruptAsync(parse.GetValue(id), ct).ConfigureAwait(false);
            output.Line("interrupt sent");
            return 0;
        }));
        return command;
    }

    private static Command NodesCommand(CliOutput output)
    {
        var search = new Argument<string?>("search") { Description = "Text to look for in class, display name or category", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the matching /object_info entries" };
        var command = new Command("nodes", "Search the server's node types (/object_info)") { search, json };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            string text = parse.GetValue(search) ?? "";
            JsonObject info = await client.GetObjectInfoAsync(ct).ConfigureAwait(false);
            var matches = new JsonObject();
            foreach ((string name, JsonNode? node) in info)
            {
                string display = node?["display_name"] is JsonValue d && d.TryGetValue(out string? s) ? s : name;
                string category = node?["category"] is JsonValue c && c.TryGetValue(out string? cs) ? cs : "";
                if (text.Length == 0 || name.Contains(text, StringComparison.OrdinalIgnoreCase) || display.Contains(text, StringComparison.OrdinalIgnoreCase) || category.Contains(text, StringComparison.OrdinalIgnoreCase))
                {
                    matches[name] = node?.DeepClone();
                    if (!parse.GetValue(json))
                    {
                        output.Line($"{name,-32} {category,-28} {display}");
                    }
                }
            }
            if (parse.GetValue(json))
            {
                output.Line(matches.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            return matches.Count > 0 || text.Length == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Command ModelsCommand(CliOutput output)
    {
        var folder = new Argument<string?>("folder") { Description = "A model folder (checkpoints, loras, …); lists folders when omitted", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "List model folders or the models of one folder") { folder };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            IReadOnlyList<string> items = parse.GetValue(folder) is { } name
                ? await client.GetModelsAsync(name, ct).ConfigureAwait(false)
                : await client.GetModelFoldersAsync(ct).ConfigureAwait(false);
            foreach (string item in items)
            {
                output.Line(item);
            }
            return 0;
        }));
        return command;
    }

    private static Command UploadCommand(CliOutput output)
    {
        var file = new Argument<string>("file") { Description = "Image file to upload" };
        var subfolder = new Option<string?>("--subfolder") { Description = "Sub-directory on the server" };
        var type = new Option<string>("--type") { Description = "input, temp or output", DefaultValueFactory = _ => "input" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a file of the same name" };
        var command = new Command("upload", "Upload an image (POST /upload/image)") { file, subfolder, type, overwrite };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new CliInputException($"file '{path}' not found");
            }
            ImageRef stored = await client.UploadImageFileAsync(path, parse.GetValue(subfolder), parse.GetValue(type)!, parse.GetValue(overwrite), ct).ConfigureAwait(false);
            output.Line($"{stored.Type}/{(stored.Subfolder.Length > 0 ? stored.Subfolder + "/" : "")}{stored.Filename}");
            return 0;
        }));
        return command;
    }

    private static Command StatusCommand(CliOutput output)
    {
        var command = new Command("status", "Show the server version, device and queue size");
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            JsonObject stats = await client.GetSystemStatsAsync(ct).ConfigureAwait(false);
            int remaining = await client.GetQueueRemainingAsync(ct).ConfigureAwait(false);
            output.Line($"version {stats["system"]?["comfyui_version"]}, device {stats["devices"]?[0]?["name"]}, queue {remaining}");
            return 0;
        }));
        return command;
    }

    private static Command JobsCommand(CliOutput output)
    {
        var status = new Option<string?>("--status") { Description = "pending, in_progress, completed, failed (comma-separated)" };
        var limit = new Option<int?>("--limit") { Description = "Maximum jobs" };
        var command = new Command("jobs", "List jobs (/api/jobs)") { status, limit };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            JobsPage page = await client.GetJobsAsync(new JobsQuery { Status = parse.GetValue(status)?.Split(','), Limit = parse.GetValue(limit) }, ct).ConfigureAwait(false);
            foreach (ComfyJob job in page.Jobs)
            {
                output.Line($"{job.Id}  {job.Status,-11}  {job.OutputsCount} output(s)");
            }
            output.Line($"{page.Jobs.Count} of {page.Total}");
            return 0;
        }));
        return command;
    }

    private static Command FreeCommand(CliOutput output)
    {
        var memory = new Option<bool>("--free-memory") { Description = "Also drop cached node outputs" };
        var command = new Command("free", "Unload models (POST /free)") { memory };
        command.SetAction((parse, ct) => Guard(output, parse, async client =>
        {
            await client.FreeAsync(true, parse.GetValue(memory), ct).ConfigureAwait(false);
            output.Line("free requested");
            return 0;
        }));
        return command;
    }

    private static async Task<int> Guard(CliOutput output, ParseResult parse, Func<ComfyClient, Task<int>> action)
    {
        string server = parse.GetValue(ServerOption) ?? Environment.GetEnvironmentVariable("COMFY_SERVER") ?? DefaultServer;
        string? token = parse.GetValue(TokenOption) ?? Environment.GetEnvironmentVariable("COMFY_TOKEN");
        if (!Uri.TryCreate(server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server, UriKind.Absolute, out Uri? uri))
        {
            output.Error($"'{server}' is not a server URL");
            return ExitBadInput;
        }
        try
        {
            using var client = new ComfyClient(uri, new ComfyClientOptions { Token = token, MaxReconnectAttempts = 8 });
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

/// <summary>Bad command-line input, reported as one line.</summary>
internal sealed class CliInputException(string message) : Exception(message);

/// <summary>Where the CLI writes.</summary>
internal sealed class CliOutput(TextWriter output, TextWriter error, bool interactive)
{
    private readonly Lock _gate = new();

    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    public bool Interactive { get; } = interactive;

    public void Line(string text)
    {
        lock (_gate)
        {
            if (Interactive)
            {
                AnsiConsole.MarkupLine(Markup.Escape(text));
            }
            else
            {
                Out.WriteLine(text);
            }
        }
    }

    public void Error(string text)
    {
        lock (_gate)
        {
            // One line, whatever the exception text held.
            Err.WriteLine("comfysharp: error: " + text.ReplaceLineEndings(" ").Trim());
        }
    }
}
