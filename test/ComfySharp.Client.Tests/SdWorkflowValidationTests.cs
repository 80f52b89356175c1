using System.Text.Json.Nodes;
using ComfySharp.Engine;
using ComfySharp.Engine.Validation;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Client.Tests;

/// <summary>
/// Every SD-family workflow (sd15, sd2, sdxl, any) of the shared corpus whose node classes this server has converts from the UI
/// format (with our /object_info) and passes the server's prompt validation, given the generated random SDXL and
/// SD 1.5 / SD 2.x checkpoints under the file names the workflows use (validation checks names, so nothing is loaded).
/// </summary>
public sealed class SdWorkflowValidationTests
{
    private static readonly string Corpus = Path.Combine(TestPaths.Shared, "workflows");

    // The model folders a workflow's file names are listed from; every named model file is placed in each of them
    // (validation checks names only, so one generated checkpoint per family serves as every kind of model).
    private static readonly string[] ModelFolders =
        ["checkpoints", "vae", "loras", "text_encoders", "clip_vision", "controlnet", "upscale_models", "style_models",
         "gligen", "hypernetworks", "diffusion_models", "embeddings"];

    private static readonly string[] ModelExtensions = [".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft"];

    [Fact]
    public async Task Covered_sd_family_workflows_convert_and_validate()
    {
        var rows = File.ReadAllLines(Path.Combine(Corpus, "MANIFEST.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Where(f => f[5] is "sd15" or "sdxl" or "sd2" or "any").ToList();
        Assert.True(rows.Count >= 100, $"expected the corpus's SD-family rows, found {rows.Count}");
        string models = TestPaths.NewTempDirectory("sd-workflows");
        string baseDirectory = TestPaths.NewTempDirectory("sd-workflows-server");
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
            Assert.True(prompts.Count >= 80, $"only {prompts.Count} SD-family workflows are covered");

            // Pass 2: a server whose model folders hold the generated checkpoints under every name the workflows use.
            string sdxl = RandomSdxlCheckpoint.EnsureFile();
            string sd2 = RandomSd2Checkpoint.EnsureFile();
            string sd15 = RandomSd15Checkpoint.EnsureFile();
            foreach (var (_, family, prompt) in prompts)
            {
                foreach (JsonObject node in prompt.Select(kv => kv.Value).OfType<JsonObject>())
                {
                    foreach ((string _, JsonNode? input) in node["inputs"] as JsonObject ?? [])
                    {
                        if (input is not JsonValue value || !value.TryGetValue(out string? name)
                            || !ModelExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                        {
                            continue;
                        }
                        foreach (string folder in ModelFolders)
                        {
                            string link = Path.Combine(models, folder, name);
                            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                            if (!File.Exists(link))
                            {
                                File.CreateSymbolicLink(link, family switch { "sd2" => sd2, "sdxl" => sdxl, _ => sd15 });
                            }
                        }
                    }
                }
            }
            // The input images the workflows load: any decodable PNG under each name.
            byte[] png = PngFile.Encode(new PixelBuffer(8, 8, 3, new byte[8 * 8 * 3]), 1);
            foreach (var (_, _, prompt) in prompts)
            {
                foreach (JsonObject node in prompt.Select(kv => kv.Value).OfType<JsonObject>())
                {
                    if (node["class_type"]?.GetValue<string>() is "LoadImage" or "LoadImageMask"
                        && node["inputs"]?["image"] is JsonValue image && image.TryGetValue(out string? name))
                    {
                        string path = Path.Combine(baseDirectory, "input", name);
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        File.WriteAllBytes(path, png);
                    }
                }
            }
            await using ComfyTestServer server = await ComfyTestServer.StartAsync(s =>
            {
                s.TestNodes = false;
                s.BaseDirectory = baseDirectory;
                s.ConfigureModelFolders = folders =>
                {
                    foreach (string folder in ModelFolders)
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
            if (Directory.Exists(baseDirectory))
            {
                Directory.Delete(baseDirectory, recursive: true);
            }
        }
    }
}
