using System.Text.Json.Nodes;
using ComfySharp.Client;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>Workflows in ComfyUI's formats: corpus files opened and exported as API prompts, PNGs dropped to restore their graph.</summary>
public sealed class WorkflowFileTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly HashSet<string> FrontendOnly = ["Reroute", "Note", "MarkdownNote", "PrimitiveNode"];

    private static string Corpus => Path.Combine(TestPaths.Shared, "workflows", "corpus");

    [Fact]
    public async Task A_corpus_workflow_opened_with_the_Open_button_exports_the_CLI_converters_API_prompt()
    {
        await using UiPage ui = await fixture.OpenAsync("export-api");
        string file = Path.Combine(Corpus, "cubiq-workflows", "in-out_painting__inpaint.json");
        IFileChooser chooser = await ui.Page.RunAndWaitForFileChooserAsync(() => ui.Page.ClickAsync("#open-button"));
        await chooser.SetFilesAsync(file);
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["nodes"]!.AsArray().Count == 23);
        await ui.ScreenshotAsync("opened");

        IDownload download = await ui.Page.RunAndWaitForDownloadAsync(() => ui.Page.ClickAsync("#export-api-button"));
        string saved = Path.Combine(BrowserFixture.ArtifactsDirectory, "export-api-workflow_api.json");
        await download.SaveAsAsync(saved);
        JsonObject exported = JsonNode.Parse(await File.ReadAllTextAsync(saved))!.AsObject();

        var objectInfo = (JsonObject)(await ui.Server.GetJsonAsync("object_info"))!;
        JsonObject expected = UiWorkflowConverter.Convert(JsonNode.Parse(await File.ReadAllTextAsync(file))!.AsObject(), objectInfo);
        Assert.True(JsonNode.DeepEquals(expected, exported), $"expected {expected.ToJsonString()}\nactual {exported.ToJsonString()}");
        ui.AssertClean();
    }

    [Fact]
    public async Task Every_corpus_workflow_the_server_can_run_exports_what_the_CLI_converter_produces()
    {
        var objectInfo = (JsonObject)(await fixture.Server.GetJsonAsync("object_info"))!;
        var files = new List<string>();
        foreach (string path in Directory.EnumerateFiles(Corpus, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (JsonNode.Parse(await File.ReadAllTextAsync(path)) is JsonObject workflow && UiWorkflowConverter.IsUiFormat(workflow)
                && Runnable(workflow, objectInfo)) // with subgraphs too, once the server has their inner node types
            {
                files.Add(path);
            }
        }
        Assert.True(files.Count >= 40, $"only {files.Count} corpus workflows are runnable here");

        await using UiPage ui = await fixture.OpenAsync("export-corpus");
        var mismatches = new List<string>();
        int sameAsOriginal = 0;
        foreach (string path in files)
        {
            string text = await File.ReadAllTextAsync(path);
            JsonNode result = (await ui.EvalAsync("const app = window.comfysharp; app.loadWorkflow(JSON.parse(arg)); return [app.serialize(), app.toApi()];", text))!;
            var saved = result[0]!.AsObject();
            var exported = result[1]!.AsObject();
            // The export equals the CLI converter's output for the workflow as the UI holds (and saves) it...
            JsonObject fromSaved = UiWorkflowConverter.Convert(saved, objectInfo);
            // ...and the converter's output for the original file, except where the file lacks a widget value the UI fills with its default.
            JsonObject fromFile = UiWorkflowConverter.Convert(JsonNode.Parse(text)!.AsObject(), objectInfo);
            if (!JsonNode.DeepEquals(fromSaved, exported) || !ContainsAll(exported, fromFile))
            {
                mismatches.Add($"{Path.GetRelativePath(Corpus, path)}\n  from file  {fromFile.ToJsonString()}\n  from saved {fromSaved.ToJsonString()}\n  exported   {exported.ToJsonString()}");
            }
            sameAsOriginal += JsonNode.DeepEquals(fromFile, exported) ? 1 : 0;
        }
        await ui.ScreenshotAsync("last-corpus-workflow");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {files.Count} differ:\n" + string.Join("\n", mismatches));
        // Files that lack a widget value get the UI's default (as in the reference frontend); the rest export exactly.
        Assert.True(sameAsOriginal * 10 >= files.Count * 9, $"only {sameAsOriginal} of {files.Count} equal the original file's conversion");
        ui.AssertClean();
    }

    /// <summary>True when the server has every node type of the workflow, inside its subgraphs too.</summary>
    private static bool Runnable(JsonObject workflow, JsonObject objectInfo)
    {
        var definitions = (workflow["definitions"]?["subgraphs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var subgraphIds = definitions.Select(d => (string)d["id"]!).ToHashSet(StringComparer.Ordinal);
        return workflow["nodes"]!.AsArray().Concat(definitions.SelectMany(d => d["nodes"]!.AsArray()))
            .Select(n => (string)n!["type"]!)
            .All(t => FrontendOnly.Contains(t) || subgraphIds.Contains(t) || objectInfo.ContainsKey(t));
    }

    /// <summary>True when every node of <paramref name="expected"/> is in <paramref name="actual"/> with the same class and at least the same inputs.</summary>
    private static bool ContainsAll(JsonObject actual, JsonObject expected) =>
        actual.Count == expected.Count && expected.All(node =>
            actual[node.Key] is JsonObject a && JsonNode.DeepEquals(a["class_type"], node.Value!["class_type"])
            && JsonNode.DeepEquals(a["_meta"], node.Value["_meta"])
            && node.Value["inputs"]!.AsObject().All(input => JsonNode.DeepEquals(a["inputs"]![input.Key], input.Value)));

    [Fact]
    public async Task Dropping_a_PNG_the_server_saved_restores_its_workflow()
    {
        await using UiPage ui = await fixture.OpenAsync("drop-png");
        JsonObject workflow = Workflows.StubSleepSave(0.05, "webui_drop");
        await ui.EvalAsync("window.comfysharp.loadWorkflow(JSON.parse(arg));", workflow.ToJsonString());
        await ui.Page.ClickAsync("#queue-button");
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);
        string src = (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs[0].src;"))!.GetValue<string>();
        byte[] png = await ui.Server.Http.GetByteArrayAsync(new Uri(src));

        await ui.Page.ClickAsync("#default-button");
        Assert.Equal(7, (await ui.GraphAsync())["nodes"]!.AsArray().Count);
        await ui.ScreenshotAsync("before-drop");

        // A real drop event with the file in its DataTransfer, on an empty part of the canvas.
        await ui.EvalAsync("""
            const bytes = Uint8Array.from(atob(arg), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], "webui_drop.png", { type: "image/png" }));
            document.getElementById("graph").dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true, clientX: 40, clientY: 860 }));
            """, Convert.ToBase64String(png));
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["nodes"]!.AsArray().Count == 3);
        JsonObject restored = await ui.GraphAsync();
        Assert.Equal(["StubImage", "TestSleep", "SaveImage"], restored["nodes"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()));
        Assert.Equal("webui_drop", restored["nodes"]![2]!["widgets_values"]![0]!.GetValue<string>());
        Assert.Equal(2, restored["links"]!.AsArray().Count);
        await ui.ScreenshotAsync("after-drop");
        ui.AssertClean();
    }
}
