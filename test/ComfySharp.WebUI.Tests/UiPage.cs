using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>
/// A page of the web UI that records every console error, page error, failed request and error response, and
/// saves a screenshot per step. Widgets drawn on the canvas are reached by their on-screen position.
/// </summary>
public sealed class UiPage : IAsyncDisposable
{
    private readonly List<string> _problems = [];
    private readonly List<string> _expected = [];
    private readonly string _testName;
    private int _step;

    public UiPage(IPage page, ComfyTestServer server, string testName)
    {
        ArgumentNullException.ThrowIfNull(page);
        Page = page;
        Server = server;
        _testName = testName;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Record($"page error: {error}");
        page.RequestFailed += (_, request) => Record($"request failed: {request.Method} {request.Url} {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Record($"response: {response.Request.Method} {new Uri(response.Url).AbsolutePath} {response.Status}");
            }
        };
    }

    public IPage Page { get; }

    public ComfyTestServer Server { get; }

    /// <summary>Allows problems containing <paramref name="fragment"/> (an error the test provokes on purpose).</summary>
    public void Expect(string fragment) => _expected.Add(fragment);

    private void Record(string problem)
    {
        lock (_problems)
        {
            _problems.Add(problem);
        }
    }

    public async Task GotoAsync(string path = "")
    {
        await Page.GotoAsync(new Uri(Server.BaseAddress, path).ToString());
        await WaitReadyAsync();
    }

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await WaitReadyAsync();
    }

    private Task WaitReadyAsync() =>
        Page.Locator("body[data-ready=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000, State = WaitForSelectorState.Attached });

    public async Task ScreenshotAsync(string step)
    {
        _step++;
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, $"{_testName}-{_step:00}-{step}.png") });
    }

    /// <summary>Runs a script in the page (the app is <c>window.comfysharp</c>) and returns its JSON result.</summary>
    public async Task<JsonNode?> EvalAsync(string script, object? arg = null)
    {
        string json = await Page.EvaluateAsync<string>($"async (arg) => JSON.stringify(await (async (arg) => {{ {script} }})(arg) ?? null)", arg);
        return JsonNode.Parse(json);
    }

    /// <summary>The graph the page holds, as the UI serializes it.</summary>
    public async Task<JsonObject> GraphAsync() => (JsonObject)(await EvalAsync("return window.comfysharp.serialize();"))!;

    public async Task<JsonNode?> WidgetValueAsync(int nodeId, string widget) =>
        await EvalAsync("const n = window.comfysharp.graph.getNodeById(arg[0]); return n.widgets.find(w => w.name === arg[1]).value;", new object[] { nodeId, widget });

    /// <summary>The page coordinates of the middle of a canvas-drawn widget.</summary>
    public async Task<(float X, float Y)> WidgetPointAsync(int nodeId, string widget)
    {
        JsonNode point = (await EvalAsync("""
            const app = window.comfysharp;
            const n = app.graph.getNodeById(arg[0]);
            const w = n.widgets.find(w => w.name === arg[1]);
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0] / 2, n.pos[1] + w.y + 10]);
            const r = app.canvas.canvas.getBoundingClientRect();
            return [r.left + x, r.top + y];
            """, new object[] { nodeId, widget }))!;
        return (point[0]!.GetValue<float>(), point[1]!.GetValue<float>());
    }

    /// <summary>Clicks a number widget, types the value into the editor's prompt and confirms it with Enter.</summary>
    public async Task SetNumberWidgetAsync(int nodeId, string widget, string value)
    {
        (float x, float y) = await WidgetPointAsync(nodeId, widget);
        await Page.Mouse.ClickAsync(x, y);
        ILocator input = Page.Locator(".graphdialog input");
        await input.FillAsync(value);
        await input.PressAsync("Enter");
    }

    /// <summary>Fails with every problem not expected by the test.</summary>
    public void AssertClean()
    {
        string[] unexpected;
        lock (_problems)
        {
            unexpected = [.. _problems.Where(p => !_expected.Any(e => p.Contains(e, StringComparison.Ordinal)))];
        }
        Assert.True(unexpected.Length == 0, "Browser problems:\n" + string.Join("\n", unexpected));
    }

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();
}
