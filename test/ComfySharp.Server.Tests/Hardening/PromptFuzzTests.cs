using System.Globalization;
using System.Text.Json;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// The prompt fuzzer of issue 22: seeded, reproducible. Each campaign sends mutated bodies to one real
/// server, reads <c>/history</c>, <c>/queue</c> and <c>/api/jobs</c> along the way, and ends with a
/// valid prompt that must still run. Pass: no 5xx (except the reference's documented 500 for a body that
/// is not JSON at all, API.md §0.2), no crash (a crash kills this test host), the queue drains.
/// </summary>
/// <remarks>
/// Size and seed come from <c>COMFYSHARP_FUZZ_PROMPTS</c> (default 10,000 per CI run) and
/// <c>COMFYSHARP_FUZZ_SEED</c> (default 22); <c>bench/fuzz.sh</c> runs larger campaigns.
/// </remarks>
public sealed class PromptFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Mutated_prompts_never_answer_5xx_nor_break_the_server()
    {
        int count = EnvInt("COMFYSHARP_FUZZ_PROMPTS", 10_000);
        int seed = EnvInt("COMFYSHARP_FUZZ_SEED", 22);
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var mutator = new PromptMutator(seed);
        int accepted = 0, refused = 0, notJson = 0;
        var failures = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string body = mutator.Next(out bool damaged);
            var (status, reply) = await HardeningServer.PostRawAsync(server, "prompt", body);
            bool parsesAsJson = ParsesAsJson(body);
            if (status >= 500 && !(status == 500 && !parsesAsJson))
            {
                failures.Add($"#{i} (seed {seed}) answered {status}: {Shorten(body)} -> {Shorten(reply)}");
            }
            else if (status == 200)
            {
                accepted++;
            }
            else if (status == 500)
            {
                notJson++;
            }
            else
            {
                refused++;
            }
            _ = damaged;
            if (i % 1000 == 999)
            {
                await HardeningServer.AssertListingsParseAsync(server);
            }
        }
        await ComfyTestServer.WaitUntilAsync(async () =>
        {
            string queue = await server.Http.GetStringAsync("prompt");
            return queue.Contains("\"queue_remaining\": 0", StringComparison.Ordinal);
        }, TimeSpan.FromMinutes(5));
        await HardeningServer.AssertHealthyAsync(server);
        output.WriteLine($"seed {seed}: {count} prompts, {accepted} accepted, {refused} refused (4xx), {notJson} not JSON (500 by the spec), {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    private static bool ParsesAsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
