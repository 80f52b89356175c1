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
        var command = new Command("run", "Queue a workflow, show its progress and download its outputs") { workflow, set, outDir, temp };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
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
                return CliApp.ExitFailed;
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
}
