using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>Where the UI is served from, the token it passes on, and workflows kept on the server.</summary>
public sealed class ServingTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task With_a_front_end_root_the_other_frontend_is_at_the_root_and_the_built_in_UI_at_comfysharp()
    {
        string root = TestPaths.NewTempDirectory("comfysharp-frontend");
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), "<!doctype html><title>other</title><p>another frontend</p>");
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s => s.Options.FrontEndRoot = root);
        Assert.Contains("another frontend", await server.Http.GetStringAsync(""), StringComparison.Ordinal);
        using (HttpResponseMessage asset = await server.Http.GetAsync("comfysharp/app.js"))
        {
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("text/javascript", asset.Content.Headers.ContentType!.MediaType);
        }

        IBrowserContext context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        await using var ui = new UiPage(await context.NewPageAsync(), server, "front-end-root");
        await ui.GotoAsync("comfysharp/");
        Assert.Equal(7, (await ui.GraphAsync())["nodes"]!.AsArray().Count);
        await ui.Page.Locator("#connection:has-text('online')").WaitForAsync();
        await ui.ScreenshotAsync("built-in-ui-beside-another");
        ui.AssertClean();
    }

    [Fact]
    public async Task A_token_in_the_page_address_goes_on_every_request_and_the_socket()
    {
        await using UiPage ui = await fixture.OpenAsync("token", "?token=secret-42");
        var requests = new List<IRequest>();
        ui.Page.Request += (_, r) => requests.Add(r);
        string? socketUrl = null;
        ui.Page.WebSocket += (_, ws) => socketUrl = ws.Url;
        await ui.ReloadAsync(); // token remembered from the first visit
        await ui.Page.Locator("#connection:has-text('online')").WaitForAsync();
        Assert.Contains("token=secret-42", socketUrl, StringComparison.Ordinal);
        IRequest[] api = [.. requests.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))];
        Assert.NotEmpty(api);
        foreach (IRequest request in api)
        {
            Assert.Contains("token=secret-42", request.Url, StringComparison.Ordinal);
            Assert.Equal("Bearer secret-42", (await request.AllHeadersAsync())["authorization"]);
        }
        ui.AssertClean();
    }

    [Fact]
    public async Task A_workflow_saved_to_the_server_is_listed_and_opens_again()
    {
        await using UiPage ui = await fixture.OpenAsync("workflows");
        await ui.Page.Locator("textarea[data-node='6']").FillAsync("kept on the server");
        await ui.Page.ClickAsync("button[data-panel=workflows]");
        await ui.Page.FillAsync("#workflow-name", "webui test");
        await ui.Page.ClickAsync("#workflow-save");
        ILocator entry = ui.Page.Locator("#workflow-list li[data-file='webui test.json']");
        await entry.WaitForAsync();
        Assert.True(File.Exists(Path.Combine(ui.Server.Directories.User, "default", "workflows", "webui test.json")));
        await ui.ScreenshotAsync("saved");

        await ui.Page.ClickAsync("#default-button");
        Assert.NotEqual("kept on the server", await ui.Page.Locator("textarea[data-node='6']").InputValueAsync());
        await entry.Locator("button:has-text('Open')").ClickAsync();
        await ComfyTestServer.WaitUntilAsync(async () => await ui.Page.Locator("textarea[data-node='6']").InputValueAsync() == "kept on the server");
        JsonObject graph = await ui.GraphAsync();
        Assert.Equal(7, graph["nodes"]!.AsArray().Count);
        ui.AssertClean();
    }
}
