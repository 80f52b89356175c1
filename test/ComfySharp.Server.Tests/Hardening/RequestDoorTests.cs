using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Nothing un-storable is accepted (issue 22): bodies that could be stored but not read back are refused
/// with 400 at the door, and entries already stored by older versions never fail a listing.
/// </summary>
public sealed class RequestDoorTests
{
    private static string Deep(int depth) => string.Concat(Enumerable.Repeat("{\"a\": ", depth)) + "1" + new string('}', depth);

    public static TheoryData<string> Unstorable => new()
    {
        """{"number": "1e400", "prompt": PROMPT}""",
        """{"number": 1e400, "prompt": PROMPT}""",
        """{"number": "nan", "prompt": PROMPT}""",
        """{"number": "abc", "prompt": PROMPT}""",
        """{"number": {}, "prompt": PROMPT}""",
        "{\"number\": " + new string('9', 5000) + ", \"prompt\": PROMPT}",
        "{\"number\": \"" + new string('9', 5000) + "\", \"prompt\": PROMPT}",
        "{\"client_id\": " + Deep(511) + ", \"prompt\": PROMPT}",
        "{\"client_id\": " + Deep(129) + ", \"prompt\": PROMPT}",
        """{"client_id": 5, "prompt": PROMPT}""",
        """{"client_id": {"a": 1}, "prompt": PROMPT}""",
        """{"prompt_id": {"a": 1}, "prompt": PROMPT}""",
        """{"extra_data": "x", "prompt": PROMPT}""",
        """{"extra_data": [1], "prompt": PROMPT}""",
        """{"extra_data": {"extra_pnginfo": "not an object"}, "prompt": PROMPT}""",
        """{"extra_data": {"extra_pnginfo": [1, 2]}, "prompt": PROMPT}""",
        """{"extra_data": {"client_id": 7}, "prompt": PROMPT}""",
        """{"partial_execution_targets": "2", "prompt": PROMPT}""",
        """{"prompt": [1, 2]}""",
        """{"prompt": "x"}""",
        """{"prompt": {"1": {"class_type": "EmptyImage", "inputs": {"width": 1e400, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}}""",
        """{"prompt": {"1": {"class_type": "SolidMask", "inputs": {"value": "nan", "width": 8, "height": 8}}, "2": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 0]}}, "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}}""",
        """{"prompt": {"1": {"class_type": "SolidMask", "inputs": {"value": "inf", "width": 8, "height": 8}}, "2": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 0]}}, "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}}""",
        "{\"prompt\": {\"1\": {\"class_type\": \"SolidMask\", \"inputs\": {\"value\": " + new string('9', 400) + ", \"width\": 8, \"height\": 8}}, \"2\": {\"class_type\": \"MaskToImage\", \"inputs\": {\"mask\": [\"1\", 0]}}, \"3\": {\"class_type\": \"PreviewImage\", \"inputs\": {\"images\": [\"2\", 0]}}}}",
        "{\"prompt\": {\"1\": {\"class_type\": \"EmptyImage\", \"inputs\": {\"width\": \"" + new string('9', 100_000) + "\", \"height\": 8, \"batch_size\": 1, \"color\": 0}}, \"2\": {\"class_type\": \"PreviewImage\", \"inputs\": {\"images\": [\"1\", 0]}}}}",
        """{"prompt": {"1": {"class_type": "EmptyImage", "class_type": "EmptyImage", "inputs": {}}}}""",
    };

    [Theory]
    [MemberData(nameof(Unstorable))]
    public async Task Bodies_that_could_not_be_read_back_are_refused_with_400(string template)
    {
        string body = template.Replace("PROMPT", PythonJson.Serialize(HardeningServer.ValidGraph()), StringComparison.Ordinal);
        await using ComfyTestServer server = await ComfyTestServer.StartAsync();
        var (status, reply) = await HardeningServer.PostRawAsync(server, "prompt", body);
        Assert.True(status == 400, $"answered {status}: {reply[..Math.Min(reply.Length, 400)]}");
        Assert.IsType<JsonObject>(PythonJson.Parse(reply)!["error"]);
        await HardeningServer.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task Entries_stored_by_older_versions_that_json_cannot_carry_never_fail_the_listings()
    {
        string baseDir = TestPaths.NewTempDirectory("comfysharp-door");
        await using (ComfyTestServer first = await ComfyTestServer.StartAsync(s => s.BaseDirectory = baseDir))
        {
            IHistoryStore store = first.Services.GetRequiredService<IHistoryStore>();
            // What older versions wrote: a bare Infinity, NaN; a text no reader takes; an entry without its prompt tuple.
            store.PutHistory("old-infinity", Encoding.UTF8.GetBytes("""{"prompt": [Infinity, "old-infinity", {}, {"client_id": "c", "extra_pnginfo": "text"}, []], "outputs": {}, "status": {"status_str": "success", "completed": true, "messages": [["execution_start", 5]]}, "meta": {}}"""));
            store.PutHistory("old-nan", Encoding.UTF8.GetBytes("""{"prompt": [1, "old-nan", {"1": {"inputs": {"v": NaN}}}, {}, []], "outputs": {"1": "x"}, "status": "odd", "meta": {}}"""));
            store.PutHistory("old-broken", Encoding.UTF8.GetBytes("""{"prompt": [1, "old-broken", {"""));
            store.PutHistory("old-short", Encoding.UTF8.GetBytes("""{"prompt": [1], "outputs": [], "status": null, "meta": {}}"""));
            await first.StopAsync();
        }
        await using ComfyTestServer server = await ComfyTestServer.StartAsync(s => s.BaseDirectory = baseDir);
        await HardeningServer.AssertListingsParseAsync(server);
        JsonObject history = (JsonObject)(await server.GetJsonAsync("history"))!;
        Assert.True(history.ContainsKey("old-infinity"));
        Assert.Null(history["old-infinity"]!["prompt"]![0]);
        Assert.False(history.ContainsKey("old-broken"));
        foreach (string id in new[] { "old-infinity", "old-nan", "old-broken", "old-short" })
        {
            using HttpResponseMessage job = await server.Http.GetAsync($"api/jobs/{id}");
            Assert.True((int)job.StatusCode is 200 or 404, $"{id}: {(int)job.StatusCode}");
        }
        await HardeningServer.AssertHealthyAsync(server);
    }
}
