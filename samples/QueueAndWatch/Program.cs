// Queue a workflow on a ComfyUI-compatible server (ComfySharp or ComfyUI), stream its progress and save the images.
// Usage: dotnet run -- [SERVER_URL] [OUTPUT_DIR] [WORKFLOW_API.json]
using System.Text.Json.Nodes;
using ComfySharp.Client;

string server = args.Length > 0 ? args[0] : "http://127.0.0.1:8188";
string outputDirectory = args.Length > 1 ? args[1] : "images";

JsonObject prompt;
if (args.Length > 2)
{
    // A workflow exported with "Export (API)" from the ComfyUI frontend.
    prompt = JsonNode.Parse(await File.ReadAllTextAsync(args[2]).ConfigureAwait(false))!.AsObject();
}
else
{
    // Or build one in code: a 512×512 orange image, inverted, saved as PNG.
    var workflow = new WorkflowBuilder();
    WorkflowNode image = workflow.Add("EmptyImage", new { width = 512, height = 512, batch_size = 1, color = 0xFF8000 });
    WorkflowNode inverted = workflow.Add("ImageInvert").Link("image", image);
    workflow.Add("SaveImage").Link("images", inverted).Set("filename_prefix", "sample/inverted");
    prompt = workflow.Build();
}

using var client = new ComfyClient(server, new ComfyClientOptions { Token = Environment.GetEnvironmentVariable("COMFY_TOKEN") });
try
{
    RunResult result = await client.RunAsync(prompt, new RunOptions
    {
        DownloadDirectory = outputDirectory,
        OnEvent = message =>
        {
            switch (message)
            {
                case ExecutingEvent { Node: { } node }:
                    Console.WriteLine($"running node {node} ({prompt[node]?["class_type"]})");
                    break;
                case ProgressEvent progress:
                    Console.WriteLine($"  step {progress.Value}/{progress.Max}");
                    break;
                case PreviewImageEvent preview:
                    Console.WriteLine($"  preview {preview.MediaType}, {preview.Image.Length} bytes");
                    break;
                default:
                    break;
            }
        },
    }).ConfigureAwait(false);
    foreach (string file in result.DownloadedFiles)
    {
        Console.WriteLine($"saved {file}");
    }
    return 0;
}
catch (ComfyPromptException rejected)
{
    Console.Error.WriteLine($"rejected: {rejected.Message}");
    return 1;
}
catch (ComfyExecutionException failed)
{
    Console.Error.WriteLine($"failed: {failed.Message}");
    return 1;
}
catch (HttpRequestException unreachable)
{
    Console.Error.WriteLine($"cannot reach {server}: {unreachable.Message}");
    return 1;
}
