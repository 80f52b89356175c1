using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySharp.WebUI.Tests;

/// <summary>First paint and time to interactive of the editor on loopback, measured in the browser (docs/webui.md has the figures).</summary>
public sealed class LoadTimingTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task First_paint_and_time_to_interactive_on_loopback_are_recorded()
    {
        var runs = new List<(double FirstPaint, double FirstContentfulPaint, double Interactive, double Transferred, double Decoded)>();
        for (int run = 0; run < 7; run++)
        {
            // A fresh context each time: empty cache and local storage, as on a first visit.
            await using UiPage ui = await fixture.OpenAsync($"timing-{run}");
            JsonNode timing = (await ui.EvalAsync("""
                const paint = Object.fromEntries(performance.getEntriesByType("paint").map(e => [e.name, e.startTime]));
                const bundle = performance.getEntriesByType("resource").filter(e => /app\.(js|css)$/.test(new URL(e.name).pathname));
                return {
                  firstPaint: paint["first-paint"] ?? -1,
                  firstContentfulPaint: paint["first-contentful-paint"] ?? -1,
                  interactive: Number(document.body.dataset.readyMs),
                  transferred: bundle.reduce((s, e) => s + e.encodedBodySize, 0),
                  decoded: bundle.reduce((s, e) => s + e.decodedBodySize, 0),
                };
                """))!;
            runs.Add((timing["firstPaint"]!.GetValue<double>(), timing["firstContentfulPaint"]!.GetValue<double>(), timing["interactive"]!.GetValue<double>(),
                timing["transferred"]!.GetValue<double>(), timing["decoded"]!.GetValue<double>()));
            ui.AssertClean();
        }
        static double Median(IEnumerable<double> values)
        {
            double[] sorted = [.. values.Order()];
            return sorted[sorted.Length / 2];
        }
        (double fp, double fcp, double tti) = (Median(runs.Select(r => r.FirstPaint)), Median(runs.Select(r => r.FirstContentfulPaint)), Median(runs.Select(r => r.Interactive)));
        string report = string.Create(CultureInfo.InvariantCulture,
            $"runs {runs.Count} (fresh context each, loopback, headless chromium)\nfirst paint median {fp:F0} ms\nfirst contentful paint median {fcp:F0} ms\ntime to interactive (data-ready) median {tti:F0} ms, min {runs.Min(r => r.Interactive):F0}, max {runs.Max(r => r.Interactive):F0}\nbundle app.js+app.css {runs[0].Transferred / 1024:F0} KiB transferred (gzip), {runs[0].Decoded / 1024:F0} KiB decoded\n");
        await File.WriteAllTextAsync(Path.Combine(BrowserFixture.ArtifactsDirectory, "load-timing.txt"), report);
        Console.WriteLine(report);

        Assert.All(runs, r => Assert.True(r.FirstPaint > 0 && r.FirstPaint <= r.Interactive, $"first paint {r.FirstPaint} ms, interactive {r.Interactive} ms"));
        // Loose bounds (a busy CI machine): the page is usable within seconds, and the bundle stays small.
        Assert.True(tti < 15_000, $"time to interactive {tti} ms");
        Assert.True(runs[0].Transferred is > 0 and < 300 * 1024, $"{runs[0].Transferred} bytes transferred for app.js + app.css");
    }
}
