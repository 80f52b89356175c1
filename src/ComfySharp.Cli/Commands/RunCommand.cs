using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp run</c>: Queue a workflow, show its progress and download its outputs.</summary>
internal static class RunCommand
{
    public static Command Create(CliOutput output)
    {
        var workflow = new Argument<string>("workflow") { Description = "Workflow JSON file (API format or the frontend's saved format)" };
        var set = new Option<string[]>("--set") { Description = "Override an input: NODE.INPUT=VALUE (NODE = id, class or title; VALUE = JSON or text)", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string>("--out", "-o") { Description = "Directory for the output files", DefaultValueFactory = _ => "." };
        var temp = new Option<bool>("--temp") { Description = "Also download temp files (PreviewImage)" };
        var wait = new Option<double?>("--wait") { Description = "Let the server hold the answer up to SECONDS (POST /prompt?wait=, ComfySharp servers) instead of following /ws; exit 6 when still running" };
        var webhook = new Option<string?>("--webhook") { Description = "URL the server POSTs the result to when the prompt ends (extra_data.webhook, ComfySharp servers)" };
        var command = new Command("run", "Queue a workflow, show its progress and download its outputs") { workflow, set, outDir, temp, wait, webhook };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            string path = parse.GetValue(workflow)!;
            JsonObject prompt = await LoadWorkflowAsync(client, path, ct).ConfigureAwait(false);
            foreach (string assignment in parse.GetValue(set) ?? [])
            {
                PromptEdits.Apply(prompt, assignment);
            }
            Uri? hook = null;
            if (parse.GetValue(webhook) is { } hookText && (!Uri.TryCreate(hookText, UriKind.Absolute, out hook) || (hook.Scheme != Uri.UriSchemeHttp && hook.Scheme != Uri.UriSchemeHttps)))
            {
                throw new CliInputException($"--webhook '{hookText}' is not an http(s) URL");
            }
            if (parse.GetValue(wait) is { } seconds)
            {
                return await RunWaitingAsync(output, client, prompt, seconds, hook, parse.GetValue(outDir)!, parse.GetValue(temp), ct).ConfigureAwait(false);
            }
            var display = new RunDisplay(output, prompt);
            var options = new RunOptions
            {
                DownloadDirectory = parse.GetValue(outDir),
                DownloadTemp = parse.GetValue(temp),
                ThrowOnFailure = false,
                OnEvent = display.Handle,
                Webhook = hook,
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
                return CliApp.ExitFailed;
            }
            output.Line($"done {result.PromptId}: {result.History.Files.Count} file(s)");
            return 0;
        }));
        return command;
    }

    /// <summary><c>run --wait</c>: one <c>POST /prompt?wait=</c>, then the outputs are downloaded when it ended.</summary>
    private static async Task<int> RunWaitingAsync(CliOutput output, ComfyClient client, JsonObject prompt, double seconds, Uri? webhook, string directory, bool temp, CancellationToken ct)
    {
        if (!(seconds > 0) || !double.IsFinite(seconds))
        {
            throw new CliInputException("--wait must be a positive number of seconds");
        }
        PromptWaitResult result = await client.QueuePromptAndWaitAsync(prompt, TimeSpan.FromSeconds(seconds), webhook: webhook, cancellationToken: ct).ConfigureAwait(false);
        if (!result.Finished || result.History is not { } history)
        {
            output.Line($"still running {result.PromptId} after {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s");
            return CliApp.ExitStillRunning;
        }
        foreach (ImageRef file in history.Files.Where(f => f.Type == "output" || (temp && f.Type == "temp")).Distinct())
        {
            output.Line($"saved {await client.DownloadAsync(file, directory, ct).ConfigureAwait(false)}");
        }
        if (!history.Completed)
        {
            output.Error(new ComfyExecutionException(history).Message);
            return CliApp.ExitFailed;
        }
        output.Line($"done {result.PromptId}: {history.Files.Count} file(s)");
        return 0;
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
}
