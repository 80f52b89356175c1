using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>A newcomer's first visit: the default graph, edits, a setting, reload, and the server's answer to queueing it.</summary>
public sealed class EditorTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly string[] DefaultTypes =
        ["KSampler", "CheckpointLoaderSimple", "EmptyLatentImage", "CLIPTextEncode", "CLIPTextEncode", "VAEDecode", "SaveImage"];

    [Fact]
    public async Task First_visit_shows_the_default_graph_and_reload_restores_edits_and_a_setting()
    {
        await using UiPage ui = await fixture.OpenAsync("first-visit");
        JsonObject graph = await ui.GraphAsync();
        JsonNode[] nodes = [.. graph["nodes"]!.AsArray().Select(n => n!).OrderBy(n => n["id"]!.GetValue<int>())];
        Assert.Equal([3, 4, 5, 6, 7, 8, 9], nodes.Select(n => n["id"]!.GetValue<int>()));
        Assert.Equal(DefaultTypes, nodes.Select(n => n["type"]!.GetValue<string>()));
        Assert.Equal(9, graph["links"]!.AsArray().Count);
        await ui.ScreenshotAsync("default-graph");

        // Prompt (a real textarea over the canvas) and seed (a canvas widget edited through its value dialog).
        await ui.Page.Locator("textarea[data-node='6']").FillAsync("a red fox in the snow");
        await ui.SetNumberWidgetAsync(3, "seed", "12345");
        Assert.Equal(12345, (await ui.WidgetValueAsync(3, "seed"))!.GetValue<long>());

        // A setting through the Settings panel: stored on the server by POST /settings/{id}.
        await ui.Page.ClickAsync("button[data-panel=settings]");
        await ui.Page.SelectOptionAsync("#setting-link-render-mode", "0");
        await ComfySharp.TestKit.ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.Server.GetJsonAsync("settings"))?["Comfy.LinkRenderMode"]?.GetValue<int>() == 0);
        await ui.ScreenshotAsync("edited");

        await ui.ReloadAsync();
        Assert.Equal("a red fox in the snow", await ui.Page.Locator("textarea[data-node='6']").InputValueAsync());
        Assert.Equal(12345, (await ui.WidgetValueAsync(3, "seed"))!.GetValue<long>());
        Assert.Equal(0, (await ui.EvalAsync("return window.comfysharp.canvas.links_render_mode;"))!.GetValue<int>());
        await ui.Page.ClickAsync("button[data-panel=settings]");
        Assert.Equal("0", await ui.Page.InputValueAsync("#setting-link-render-mode"));
        await ui.ScreenshotAsync("reloaded");

        // Queue: the prompt the server receives carries the edits (this server has no checkpoint, so it answers 400).
        ui.Expect("/api/prompt 400");
        ui.Expect("status of 400");
        IRequest request = await ui.Page.RunAndWaitForRequestAsync(() => ui.Page.ClickAsync("#queue-button"), r => r.Url.EndsWith("/api/prompt", StringComparison.Ordinal) && r.Method == "POST");
        JsonNode body = JsonNode.Parse(request.PostData!)!;
        Assert.Equal("a red fox in the snow", body["prompt"]!["6"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(12345, body["prompt"]!["3"]!["inputs"]!["seed"]!.GetValue<long>());
        Assert.Contains(body["extra_data"]!["extra_pnginfo"]!["workflow"]!["nodes"]!.AsArray(), n => n!["type"]!.GetValue<string>() == "KSampler");
        ui.AssertClean();
    }

    [Fact]
    public async Task A_validation_error_is_shown_on_the_node_it_belongs_to()
    {
        await using UiPage ui = await fixture.OpenAsync("validation-error");
        ui.Expect("/api/prompt 400");
        ui.Expect("status of 400");
        await ui.Page.ClickAsync("#queue-button");
        ILocator error = ui.Page.Locator(".node-error[data-node='4']");
        await error.WaitForAsync();
        Assert.Contains("ckpt_name", await error.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await ui.Page.Locator(".node-error").CountAsync());
        JsonNode flagged = (await ui.EvalAsync("return window.comfysharp.graph.nodes.filter(n => n.has_errors).map(n => n.id);"))!;
        Assert.Equal([4], flagged.AsArray().Select(n => n!.GetValue<int>()));
        await ui.ScreenshotAsync("error-on-checkpoint-loader");

        // Seed control did not advance for a rejected prompt (the default is "randomize").
        Assert.Equal(156680208700286, (await ui.WidgetValueAsync(3, "seed"))!.GetValue<long>());
        ui.AssertClean();
    }

    [Fact]
    public async Task Load_times_on_loopback_are_recorded()
    {
        // Figures, not assertions on speed: first paint, first contentful paint and time to interactive (the editor drawn
        // and taking input), for a first visit (empty cache) and for reloads, written to TestResults/webui/load-times.txt.
        var lines = new List<string> { "visit\tfirst-paint ms\tfirst-contentful-paint ms\tinteractive ms\ttransferred bytes" };
        // The first visit is also the server's first (its JIT) and the browser's; a new context then has an empty cache but a warm server.
        string[] visits = ["first (cold server)", "reload 1", "reload 2", "reload 3", "new context 1", "new context 2", "new context 3"];
        UiPage ui = await fixture.OpenAsync("load-times");
        try
        {
            foreach (string visit in visits)
            {
                if (visit.StartsWith("reload", StringComparison.Ordinal))
                {
                    await ui.ReloadAsync();
                }
                else if (visit.StartsWith("new context", StringComparison.Ordinal))
                {
                    ui.AssertClean();
                    await ui.DisposeAsync();
                    ui = await fixture.OpenAsync("load-times");
                }
                JsonNode m = (await ui.EvalAsync("""
                    const paint = Object.fromEntries(performance.getEntriesByType("paint").map(e => [e.name, Math.round(e.startTime)]));
                    const bytes = performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation")).reduce((s, e) => s + (e.transferSize || 0), 0);
                    return [paint["first-paint"] ?? -1, paint["first-contentful-paint"] ?? -1, Number(document.body.dataset.readyMs), bytes];
                    """))!;
                lines.Add($"{visit}\t{m[0]}\t{m[1]}\t{m[2]}\t{m[3]}");
                Assert.InRange(m[2]!.GetValue<int>(), 1, 30_000);
            }
            ui.AssertClean();
        }
        finally
        {
            await ui.DisposeAsync();
        }
        await File.WriteAllLinesAsync(Path.Combine(BrowserFixture.ArtifactsDirectory, "load-times.txt"), lines);
    }

    [Fact]
    public async Task The_node_library_adds_nodes_and_links_check_their_types()
    {
        await using UiPage ui = await fixture.OpenAsync("library");
        await ui.Page.ClickAsync("#clear-button");
        await ui.Page.ClickAsync("button[data-panel=library]");
        await ui.Page.FillAsync("#node-search", "stub image");
        await ui.Page.ClickAsync("#node-list li[data-type='StubImage']");
        await ui.Page.FillAsync("#node-search", "empty latent");
        await ui.Page.ClickAsync("#node-list li[data-type='EmptyLatentImage']");
        await ui.Page.FillAsync("#node-search", "save image");
        await ui.Page.ClickAsync("#node-list li[data-type='SaveImage']");
        await ui.Page.ClickAsync("#panel-close");
        await ui.EvalAsync("""
            const find = (t) => window.comfysharp.graph.nodes.find(n => n.type === t);
            const [a, b, c] = [find("StubImage"), find("EmptyLatentImage"), find("SaveImage")];
            a.pos = [60, 120]; b.pos = [60, 420]; c.pos = [600, 160];
            window.comfysharp.graph.setDirtyCanvas(true, true);
            """);
        await ui.ScreenshotAsync("added");

        // Drag LATENT → images (refused), then IMAGE → images (accepted).
        await DragAsync(ui, Node("EmptyLatentImage") + ".getOutputPos(0)", Node("SaveImage") + ".getInputPos(0)");
        Assert.Empty((await ui.GraphAsync())["links"]!.AsArray());
        await DragAsync(ui, Node("StubImage") + ".getOutputPos(0)", Node("SaveImage") + ".getInputPos(0)");
        JsonObject graph = await ui.GraphAsync();
        JsonArray link = graph["links"]!.AsArray().Single()!.AsArray();
        Assert.Equal("IMAGE", link[5]!.GetValue<string>());
        await ui.ScreenshotAsync("linked");

        // Undo removes the link, redo brings it back.
        await ui.Page.Locator("#graph").FocusAsync();
        await ui.Page.Keyboard.PressAsync("Control+z");
        Assert.Empty((await ui.GraphAsync())["links"]!.AsArray());
        await ui.Page.Keyboard.PressAsync("Control+y");
        Assert.Single((await ui.GraphAsync())["links"]!.AsArray());
        ui.AssertClean();
    }

    [Fact]
    public async Task Copy_paste_and_groups_work_from_keyboard_and_context_menu()
    {
        await using UiPage ui = await fixture.OpenAsync("copy-paste-group");
        JsonNode title = (await ui.EvalAsync("""
            const app = window.comfysharp; const n = app.graph.getNodeById(8);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + 50, n.pos[1] - 15]);
            const r = app.canvas.canvas.getBoundingClientRect(); return [r.left + x, r.top + y];
            """))!;
        await ui.Page.Mouse.ClickAsync(title[0]!.GetValue<float>(), title[1]!.GetValue<float>());
        await ui.Page.Keyboard.PressAsync("Control+c");
        await ui.Page.Mouse.MoveAsync(300, 800);
        await ui.Page.Keyboard.PressAsync("Control+v");
        JsonObject graph = await ui.GraphAsync();
        Assert.Equal(2, graph["nodes"]!.AsArray().Count(n => n!["type"]!.GetValue<string>() == "VAEDecode"));

        await ui.Page.Mouse.ClickAsync(700, 820, new MouseClickOptions { Button = MouseButton.Right });
        await ui.Page.ClickAsync(".litecontextmenu .litemenu-entry:has-text('Add Group')");
        await ComfySharp.TestKit.ComfyTestServer.WaitUntilAsync(async () => (await ui.GraphAsync())["groups"]!.AsArray().Count == 1);
        await ui.ScreenshotAsync("pasted-and-grouped");
        ui.AssertClean();
    }

    private static string Node(string type) => $"window.comfysharp.graph.nodes.find(n => n.type === '{type}')";

    private static async Task DragAsync(UiPage ui, string fromScript, string toScript)
    {
        (float fx, float fy) = await ScreenAsync(ui, fromScript);
        (float tx, float ty) = await ScreenAsync(ui, toScript);
        await ui.Page.Mouse.MoveAsync(fx, fy);
        await ui.Page.Mouse.DownAsync();
        await ui.Page.Mouse.MoveAsync((fx + tx) / 2, (fy + ty) / 2, new MouseMoveOptions { Steps = 5 });
        await ui.Page.Mouse.MoveAsync(tx, ty, new MouseMoveOptions { Steps = 5 });
        await ui.Page.Mouse.UpAsync();
    }

    private static async Task<(float X, float Y)> ScreenAsync(UiPage ui, string graphPointScript)
    {
        JsonNode point = (await ui.EvalAsync($$"""
            const p = {{graphPointScript}};
            const app = window.comfysharp;
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([p[0], p[1]]);
            const r = app.canvas.canvas.getBoundingClientRect();
            return [r.left + x, r.top + y];
            """))!;
        return (point[0]!.GetValue<float>(), point[1]!.GetValue<float>());
    }
}
