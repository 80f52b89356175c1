using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>Queueing from the editor: live progress, the output on its node and in the gallery, interrupt, queue and history panels.</summary>
public sealed class RunTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Queue_shows_progress_then_the_image_on_its_node_and_in_the_gallery()
    {
        await using UiPage ui = await fixture.OpenAsync("run");
        string file = Workflows.WriteTemp(Workflows.StubSleepSave(1.5, "webui_run"), "run");
        IFileChooser chooser = await ui.Page.RunAndWaitForFileChooserAsync(() => ui.Page.ClickAsync("#open-button"));
        await chooser.SetFilesAsync(file);
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["nodes"]!.AsArray().Count == 3);
        await ui.ScreenshotAsync("opened");

        await ui.Page.ClickAsync("#queue-button");
        await ui.Page.Locator("#progress[data-state=running]").WaitForAsync();
        // The sleeping node's own progress bar moves (progress messages over /ws).
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(2).progress ?? 0;"))!.GetValue<double>() > 0.05);
        Assert.Equal("2", (await ui.EvalAsync("return window.comfysharp.runningNode;"))!.GetValue<string>());
        await ui.ScreenshotAsync("running");

        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("const n = window.comfysharp.graph.getNodeById(3); return n.imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);
        await ui.Page.Locator("#progress[data-state=idle]").WaitForAsync();
        Assert.Equal("100%", await ui.Page.EvalOnSelectorAsync<string>("#progress-bar", "e => e.style.width"));
        await ui.ScreenshotAsync("output-on-node");

        await ui.Page.ClickAsync("button[data-panel=gallery]");
        ILocator image = ui.Page.Locator("#gallery img");
        await image.WaitForAsync();
        Assert.StartsWith("webui_run_", await image.GetAttributeAsync("alt"), StringComparison.Ordinal);
        await ComfyTestServer.WaitUntilAsync(async () => await image.EvaluateAsync<int>("i => i.naturalWidth") == 64);
        await ui.ScreenshotAsync("gallery");
        ui.AssertClean();
    }

    [Fact]
    public async Task Preview_frames_sent_while_a_node_runs_are_drawn_on_that_node()
    {
        await using UiPage ui = await fixture.OpenAsync("preview");
        await ui.EvalAsync("window.comfysharp.loadWorkflow(JSON.parse(arg));", Workflows.StubPreviewSave(4, "webui_preview").ToJsonString());
        // Count the binary preview frames the page's socket client decodes.
        await ui.EvalAsync("window.previewFrames = 0; window.comfysharp.api.addEventListener('b_preview', () => window.previewFrames++);");
        await ui.Page.ClickAsync("#queue-button");
        await ui.Page.Locator("#progress[data-state=running]").WaitForAsync();
        // A preview before the last one is on the node while it runs (the k-th preview is 32+k pixels wide).
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(2).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() is > 32 and < 36);
        await ui.ScreenshotAsync("previewing");
        await ui.Page.Locator("#progress[data-state=idle]").WaitForAsync();
        Assert.Equal(4, (await ui.EvalAsync("return window.previewFrames;"))!.GetValue<int>());
        // The last preview (36×32, white) stays on the sampler-like node, and the canvas shows it inside the node.
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(2).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 36);
        Assert.Equal(32, (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(2).imgs[0].naturalHeight;"))!.GetValue<int>());
        const string CenterPixel = """
            const app = window.comfysharp;
            const n = app.graph.getNodeById(2);
            app.graph.setDirtyCanvas(true, true);
            app.canvas.draw(true, true);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0] / 2, n.pos[1] + n.size[1] - 60]);
            const ratio = app.canvas.canvas.width / app.canvas.canvas.getBoundingClientRect().width;
            return [...app.canvas.canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data];
            """;
        JsonArray pixel = (await ui.EvalAsync(CenterPixel))!.AsArray();
        Assert.All(pixel.Take(3), c => Assert.True(c!.GetValue<int>() > 240, $"The node does not show the white preview there: {pixel.ToJsonString()}"));
        Assert.Equal(64, (await ui.EvalAsync("return await new Promise(r => { const i = window.comfysharp.graph.getNodeById(3).imgs?.[0]; if (!i) r(0); else if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); });"))!.GetValue<int>());
        await ui.ScreenshotAsync("preview-on-node");
        ui.AssertClean();
    }

    [Fact]
    public async Task Interrupt_stops_a_long_run_and_the_queue_and_history_panels_manage_prompts()
    {
        await using UiPage ui = await fixture.OpenAsync("interrupt");
        await ui.EvalAsync("window.comfysharp.loadWorkflow(JSON.parse(arg));", Workflows.StubSleepSave(120, "webui_long").ToJsonString());
        await ui.Page.FillAsync("#batch-count", "2");
        await ui.Page.ClickAsync("#queue-button");
        await ui.Page.Locator("#progress[data-state=running]").WaitForAsync();

        await ui.Page.ClickAsync("button[data-panel=queue]");
        ILocator rows = ui.Page.Locator("#queue-list li");
        await ComfyTestServer.WaitUntilAsync(async () => await rows.CountAsync() == 2);
        await ui.ScreenshotAsync("queue-two");
        await rows.Nth(1).Locator("button").ClickAsync(); // delete the pending one
        await ComfyTestServer.WaitUntilAsync(async () => await rows.CountAsync() == 1);
        Assert.Empty((await ui.Server.GetJsonAsync("queue"))!["queue_pending"]!.AsArray());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ui.Page.ClickAsync("#interrupt-button");
        await ui.Page.Locator("#toast:has-text('Interrupted.')").WaitForAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "The 120 s sleep was not interrupted.");
        await ui.Page.Locator("#progress[data-state=idle]").WaitForAsync();
        await ui.ScreenshotAsync("interrupted");

        // History: the interrupted prompt, re-opened into the editor, then deleted.
        await ui.Page.ClickAsync("#default-button");
        await ui.Page.ClickAsync("button[data-panel=history]");
        ILocator entry = ui.Page.Locator("#history-list li[data-status=error]");
        await entry.WaitForAsync();
        await entry.Locator("button:has-text('Load')").ClickAsync();
        JsonObject graph = await ui.GraphAsync();
        Assert.Equal(["StubImage", "TestSleep", "SaveImage"], graph["nodes"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()));
        await ui.ScreenshotAsync("history-loaded");
        string id = (await entry.GetAttributeAsync("data-prompt-id"))!;
        await entry.Locator("button:has-text('Delete')").ClickAsync();
        await ComfyTestServer.WaitUntilAsync(async () => (await ui.Server.GetJsonAsync("history"))!.AsObject().ContainsKey(id) == false);
        ui.AssertClean();
    }
}
