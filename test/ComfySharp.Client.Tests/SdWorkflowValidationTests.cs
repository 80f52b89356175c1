using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Validation;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Client.Tests;

/// <summary>
/// Every SDXL and SD 2.x workflow of the shared corpus whose node classes this server has converts from the UI
/// format (with our /object_info) and passes the server's prompt validation, given the generated random SDXL and
/// SD 2.x checkpoints under the file names the workflows use (validation checks names, so nothing is loaded).
/// </summary>
public sealed class SdWorkflowValidationTests
{
    private static readonly string Corpus = Path.Combine(TestPaths.Shared, "workflows");

    // Inputs that name model files, and the folder each one is listed from.
    private static readonly Dictionary<string, string> FileInputs = new(StringComparer.Ordinal)
    {
        ["ckpt_name"] = "checkpoints",
        ["vae_name"] = "vae",
        ["lora_name"] = "loras",
        ["clip_name"] = "text_encoders",
        ["clip_name1"] = "text_encoders",
        ["clip_name2"] = "text_encoders",
        ["unet_name"] = "diffusion_models",
    };

    // Compiles but was not yet run on the sdxl branch (out of time on the shared machine); unskip once it has passed.
    [Fact(Skip = "Not yet run: generates the random SD 2.x checkpoint (2.6 GB) and starts two servers; unskip after a first green run.")]
    public async Task Covered_sdxl_and_sd2_workflows_convert_and_validate()
    {
        var rows = File.ReadAllLines(Path.Combine(Corpus, "MANIFEST.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Where(f => f[5] is "sdxl" or "sd2").ToList();
        Assert.True(rows.Count >= 30, $"expected the corpus's SDXL/SD2 rows, found {rows.Count}");
        string models = TestPaths.NewTempDirectory("sd-workflows");
        try
        {
            // Pass 1: our /object_info (no model files needed) to convert the UI graphs and find the file names used.
            JsonObject objectInfo;
            await using (ComfyTestServer probe = await ComfyTestServer.StartAsync(s => s.TestNodes = false))
            {
                objectInfo = (JsonObject)(await probe.GetJsonAsync("object_info"))!;
            }
            var prompts = new List<(string File, string Family, JsonObject Prompt)>();
            foreach (string[] row in rows)
            {
                string[] classes = row[6].Split(',', StringSplitOptions.RemoveEmptyEntries);
                if (!classes.All(objectInfo.ContainsKey))
                {
                    continue;
                }
                var workflow = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus, row[0])))!;
                JsonObject prompt = UiWorkflowConverter.IsUiFormat(workflow) ? UiWorkflowConverter.Convert(workflow, objectInfo)
                    : workflow["prompt"] as JsonObject ?? workflow;
                prompts.Add((row[0], row[5], prompt));
            }
            Assert.True(prompts.Count >= 20, $"only {prompts.Count} SDXL/SD2 workflows are covered");

            // Pass 2: a server whose model folders hold the generated checkpoints under every name the workflows use.
            string sdxl = RandomSdxlCheckpoint.EnsureFile();
            string sd2 = RandomSd2Checkpoint.EnsureFile();
            foreach (var (_, family, prompt) in prompts)
            {
                foreach (JsonObject node in prompt.Select(kv => kv.Value).OfType<JsonObject>())
                {
                    if (node["inputs"] is not JsonObject inputs)
                    {
                        continue;
                    }
                    foreach (var (input, folder) in FileInputs)
                    {
                        if (inputs[input] is JsonValue value && value.TryGetValue(out string? name) && name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                        {
                            string link = Path.Combine(models, folder, name);
                            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                            if (!File.Exists(link))
                            {
                                File.CreateSymbolicLink(link, family == "sd2" ? sd2 : sdxl);
                            }
                        }
                    }
                }
            }
            await using ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
            {
                s.TestNodes = false;
                s.ConfigureModelFolders = folders =>
                {
                    foreach (string folder in FileInputs.Values.Distinct())
                    {
                        folders.AddPath(folder, Path.Combine(models, folder));
                    }
                };
            });
            var validator = server.Services.GetRequiredService<PromptValidator>();
            var failures = new List<string>();
            foreach (var (file, _, prompt) in prompts)
            {
                PromptValidation result = await validator.ValidateAsync(prompt, null, TestContext.Current.CancellationToken);
                if (!result.IsValid)
                {
                    failures.Add($"{file}: {result.Error?.ToJsonString()} {result.NodeErrors.ToJsonString()}");
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }
}
