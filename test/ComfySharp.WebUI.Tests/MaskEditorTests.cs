using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>The mask editor of LoadImage: paint and erase on the image, save through /upload/mask, run the mask.</summary>
public sealed class MaskEditorTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    /// <summary>LoadImage(<paramref name="image"/>) → MaskToImage(mask) → SaveImage(<paramref name="prefix"/>).</summary>
    private static JsonObject LoadMaskSave(string image, string prefix) => new()
    {
        ["last_node_id"] = 3,
        ["last_link_id"] = 2,
        ["nodes"] = new JsonArray
        {
            new JsonObject
            {
                ["id"] = 1, ["type"] = "LoadImage", ["pos"] = new JsonArray(50, 100), ["size"] = new JsonArray(300, 360), ["flags"] = new JsonObject(),
                ["order"] = 0, ["mode"] = 0,
                ["outputs"] = new JsonArray(
                    new JsonObject { ["name"] = "IMAGE", ["type"] = "IMAGE", ["links"] = new JsonArray() },
                    new JsonObject { ["name"] = "MASK", ["type"] = "MASK", ["links"] = new JsonArray(1) }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray(image, "image"),
            },
            new JsonObject
            {
                ["id"] = 2, ["type"] = "MaskToImage", ["pos"] = new JsonArray(420, 100), ["size"] = new JsonArray(220, 60), ["flags"] = new JsonObject(),
                ["order"] = 1, ["mode"] = 0,
                ["inputs"] = new JsonArray(new JsonObject { ["name"] = "mask", ["type"] = "MASK", ["link"] = 1 }),
                ["outputs"] = new JsonArray(new JsonObject { ["name"] = "IMAGE", ["type"] = "IMAGE", ["links"] = new JsonArray(2) }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray(),
            },
            new JsonObject
            {
                ["id"] = 3, ["type"] = "SaveImage", ["pos"] = new JsonArray(700, 100), ["size"] = new JsonArray(300, 320), ["flags"] = new JsonObject(),
                ["order"] = 2, ["mode"] = 0,
                ["inputs"] = new JsonArray(new JsonObject { ["name"] = "images", ["type"] = "IMAGE", ["link"] = 2 }),
                ["properties"] = new JsonObject(),
                ["widgets_values"] = new JsonArray(prefix),
            },
        },
        ["links"] = new JsonArray(new JsonArray(1, 1, 1, 2, 0, "MASK"), new JsonArray(2, 2, 0, 3, 0, "IMAGE")),
        ["groups"] = new JsonArray(),
        ["config"] = new JsonObject(),
        ["extra"] = new JsonObject(),
        ["version"] = 0.4,
    };

    [Fact]
    public async Task Painting_a_stroke_and_saving_gives_LoadImage_a_mask_where_it_was_painted()
    {
        // An opaque 64×64 picture in input/ before the page loads (LoadImage's file list comes from /object_info).
        var picture = PixelBuffer.Create(64, 64, 3);
        for (int i = 0; i < picture.Pixels.Length; i++)
        {
            picture.Pixels[i] = (byte)(i % 3 == 0 ? 200 : 60);
        }
        await File.WriteAllBytesAsync(Path.Combine(fixture.Server.Directories.Input, "mask_source.png"), PngFile.Encode(picture, 1));
        await using UiPage ui = await fixture.OpenAsync("mask-editor");
        await ui.EvalAsync("window.comfysharp.loadWorkflow(JSON.parse(arg));", LoadMaskSave("mask_source.png", "webui_mask").ToJsonString());
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(1).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);

        // Right-click the node's title, then "Open in MaskEditor" in LiteGraph's context menu.
        JsonNode title = (await ui.EvalAsync("""
            const app = window.comfysharp;
            const n = app.graph.getNodeById(1);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0] / 2, n.pos[1] - 12]);
            const r = app.canvas.canvas.getBoundingClientRect();
            return [r.left + x, r.top + y];
            """))!;
        await ui.Page.Mouse.ClickAsync(title[0]!.GetValue<float>(), title[1]!.GetValue<float>(), new MouseClickOptions { Button = MouseButton.Right });
        await ui.Page.Locator(".litecontextmenu .litemenu-entry:has-text('Open in MaskEditor')").ClickAsync();
        await ui.Page.Locator("#mask-editor[data-ready=true]").WaitForAsync();

        // Brush 60 screen pixels (about 4.6 image pixels here): a stroke along row 32 from x 6.4 to 25.6, then erase at x 16.
        await ui.Page.EvalOnSelectorAsync("#mask-brush", "e => e.value = '60'");
        var box = (await ui.Page.Locator("#mask-canvas").BoundingBoxAsync())!;
        float X(double f) => (float)(box.X + (f * box.Width));
        float y = (float)(box.Y + (box.Height / 2));
        await ui.Page.Mouse.MoveAsync(X(0.1), y);
        await ui.Page.Mouse.DownAsync();
        await ui.Page.Mouse.MoveAsync(X(0.4), y, new MouseMoveOptions { Steps = 10 });
        await ui.Page.Mouse.UpAsync();
        await ui.Page.ClickAsync("#mask-erase");
        await ui.Page.Mouse.ClickAsync(X(0.25), y);
        await ui.ScreenshotAsync("painted");

        await ui.Page.ClickAsync("#mask-save");
        await ui.Page.Locator("#mask-editor").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        string value = (await ui.WidgetValueAsync(1, "image"))!.GetValue<string>();
        Assert.Matches(@"^clipspace/clipspace-mask-\d+\.png \[input\]$", value);
        Assert.True(File.Exists(Path.Combine(fixture.Server.Directories.Input, value[..^" [input]".Length])), value);
        await ui.ScreenshotAsync("saved");

        await ui.Page.ClickAsync("#queue-button");
        await ComfyTestServer.WaitUntilAsync(async () =>
            (await ui.EvalAsync("return window.comfysharp.graph.getNodeById(3).imgs?.[0]?.naturalWidth ?? 0;"))!.GetValue<int>() == 64);
        await ui.ScreenshotAsync("mask-output");
        // The saved MaskToImage output, read back through /view: white (mask 1) where painted and not erased.
        JsonArray grey = (await ui.EvalAsync("""
            const img = window.comfysharp.graph.getNodeById(3).imgs[0];
            const c = document.createElement('canvas');
            c.width = 64; c.height = 64;
            const g = c.getContext('2d');
            g.drawImage(img, 0, 0);
            return arg.map(([x, y]) => g.getImageData(x, y, 1, 1).data[0]);
            """, new[] { new[] { 9, 32 }, new[] { 22, 32 }, new[] { 16, 32 }, new[] { 9, 10 }, new[] { 50, 32 } }))!.AsArray();
        int[] levels = [.. grey.Select(v => v!.GetValue<int>())];
        Assert.True(levels[0] > 200 && levels[1] > 200, $"painted pixels: {string.Join(", ", levels)}");
        Assert.True(levels[2] < 50, $"erased pixel: {string.Join(", ", levels)}");
        Assert.True(levels[3] < 50 && levels[4] < 50, $"untouched pixels: {string.Join(", ", levels)}");
        ui.AssertClean();
    }
}
