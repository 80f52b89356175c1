using System.Text.Json.Nodes;
using ComfySharp.Client;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>API-format prompts opened as graphs, and links into widgets (exported as links in API format).</summary>
public sealed class ApiFormatTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_API_prompt_file_opens_as_a_laid_out_graph_that_exports_the_same_prompt_and_runs()
    {
        await using UiPage ui = await fixture.OpenAsync("open-api");
        var objectInfo = (JsonObject)(await ui.Server.GetJsonAsync("object_info"))!;
        JsonObject prompt = UiWorkflowConverter.Convert(Workflows.StubSleepSave(0.05, "webui_api"), objectInfo);
        prompt["2"]!["_meta"] = new JsonObject { ["title"] = "Nap" };
        string file = Workflows.WriteTemp(prompt, "api");
        IFileChooser chooser = await ui.Page.RunAndWaitForFileChooserAsync(() => ui.Page.ClickAsync("#open-button"));
        await chooser.SetFilesAsync(file);
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["nodes"]!.AsArray().Count == 3);
        await ui.ScreenshotAsync("opened");

        JsonObject graph = await ui.GraphAsync();
        var nodes = graph["nodes"]!.AsArray().ToDictionary(n => n!["id"]!.GetValue<int>());
        Assert.Equal(["StubImage", "TestSleep", "SaveImage"], new[] { 1, 2, 3 }.Select(id => nodes[id]!["type"]!.GetValue<string>()));
        Assert.Equal("Nap", nodes[2]!["title"]!.GetValue<string>());
        Assert.Equal(2, graph["links"]!.AsArray().Count);
        // Laid out left to right along the links.
        double X(int id) => nodes[id]!["pos"]![0]!.GetValue<double>();
        Assert.True(X(1) < X(2) && X(2) < X(3), $"x: {X(1)}, {X(2)}, {X(3)}");
        Assert.Equal("""["NOISE",64,64,1]""", nodes[1]!["widgets_values"]!.ToJsonString());

        IDownload download = await ui.Page.RunAndWaitForDownloadAsync(() => ui.Page.ClickAsync("#export-api-button"));
        string saved = Path.Combine(BrowserFixture.ArtifactsDirectory, "open-api-workflow_api.json");
        await download.SaveAsAsync(saved);
        JsonObject exported = JsonNode.Parse(await File.ReadAllTextAsync(saved))!.AsObject();
        Assert.True(JsonNode.DeepEquals(prompt, exported), $"expected {prompt.ToJsonString()}\nactual {exported.ToJsonString()}");

        await ui.Page.ClickAsync("#queue-button");
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);
        await ui.ScreenshotAsync("ran");
        ui.AssertClean();
    }

    [Fact]
    public async Task A_link_dragged_onto_a_widget_feeds_that_input_in_the_export_and_the_run()
    {
        await using UiPage ui = await fixture.OpenAsync("widget-link");
        await ui.EvalAsync("window.comfysharp.loadWorkflow(JSON.parse(arg));", Workflows.StubSleepSave(0.05, "webui_widget_link").ToJsonString());
        // A PrimitiveInt from the Nodes panel, set to 32 (fixed) and moved below the StubImage.
        await ui.Page.ClickAsync("button[data-panel=library]");
        await ui.Page.FillAsync("#node-search", "PrimitiveInt");
        await ui.Page.ClickAsync("#node-list li[data-type=PrimitiveInt]");
        await ui.Page.ClickAsync("#panel-close");
        int primitive = (await ui.EvalAsync("""
            const app = window.comfysharp;
            const n = app.graph.nodes.find(n => n.type === "PrimitiveInt");
            n.pos = [50, 420];
            n.widgets[0].value = 32;
            n.widgets[1].value = "fixed";
            app.graph.setDirtyCanvas(true, true);
            app.checkState();
            return n.id;
            """))!.GetValue<int>();
        JsonNode from = (await ui.EvalAsync("""
            const app = window.comfysharp;
            const n = app.graph.getNodeById(arg);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas(n.getConnectionPos(false, 0));
            const r = app.canvas.canvas.getBoundingClientRect();
            return [r.left + x, r.top + y];
            """, primitive))!;
        (float toX, float toY) = await ui.WidgetPointAsync(1, "width");
        await ui.Page.Mouse.MoveAsync(from[0]!.GetValue<float>(), from[1]!.GetValue<float>());
        await ui.Page.Mouse.DownAsync();
        await ui.Page.Mouse.MoveAsync(toX, toY, new MouseMoveOptions { Steps = 12 });
        await ui.ScreenshotAsync("dragging");
        await ui.Page.Mouse.UpAsync();
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(1).inputs.find(i => i.widget?.name === 'width')?.link ?? null;")) is not null);
        await ui.ScreenshotAsync("linked");

        JsonObject exported = (JsonObject)(await ui.EvalAsync("return window.comfysharp.toApi();"))!;
        Assert.Equal($"[\"{primitive}\",0]", exported["1"]!["inputs"]!["width"]!.ToJsonString());
        Assert.Equal(64, exported["1"]!["inputs"]!["height"]!.GetValue<int>());
        var objectInfo = (JsonObject)(await ui.Server.GetJsonAsync("object_info"))!;
        Assert.True(JsonNode.DeepEquals(UiWorkflowConverter.Convert(await ui.GraphAsync(), objectInfo), exported));

        await ui.Page.ClickAsync("#queue-button");
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 32);
        await ui.ScreenshotAsync("ran-32-wide");
        ui.AssertClean();
    }
}
