using ComfySharp.TestKit;
using Microsoft.Playwright;

namespace ComfySharp.WebUI.Tests;

/// <summary>
/// One real server (test nodes on) and one headless Debian Chromium for a test class. Playwright drives the
/// system browser (<c>/usr/bin/chromium</c>, installed by build/setup.sh); it never downloads one.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Where the browser lives (COMFYSHARP_CHROMIUM overrides).</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("COMFYSHARP_CHROMIUM") ?? "/usr/bin/chromium";

    private static readonly string[] ChromiumFlags =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private IPlaywright? _playwright;

    public ComfyTestServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots of every step: TestResults/webui under the repository root.</summary>
    public static string ArtifactsDirectory { get; } = Directory.CreateDirectory(Path.Combine(TestPaths.RepositoryRoot, "TestResults", "webui")).FullName;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}; run build/setup.sh (it installs Debian's chromium).");
        }
        Server = await ComfyTestServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Args = ChromiumFlags,
            Headless = true,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (empty local storage) with one page that records problems.</summary>
    public async Task<UiPage> OpenAsync(string testName, string path = "")
    {
        IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            AcceptDownloads = true,
        });
        IPage page = await context.NewPageAsync();
        var ui = new UiPage(page, Server, testName);
        await ui.GotoAsync(path);
        return ui;
    }
}
