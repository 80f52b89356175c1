using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using SkiaSharp;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>
/// Several clients at once on uncached tensor chains ending in PreviewImage, through the real server:
/// the shape under which the server once died (TorchSharp temporaries finalized mid-call), and the
/// path whose preview files are written in the background, so /view right after completion must
/// still return each file.
/// </summary>
public sealed class LoadTests
{
    private static JsonObject Chain(int colour, int inverts)
    {
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject
            {
                ["class_type"] = "EmptyImage",
                ["inputs"] = new JsonObject { ["width"] = 16, ["height"] = 16, ["batch_size"] = 1, ["color"] = colour },
            },
        };
        for (int i = 0; i < inverts; i++)
        {
            prompt[(i + 2).ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["class_type"] = "ImageInvert",
                ["inputs"] = new JsonObject { ["image"] = new JsonArray((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 0) },
            };
        }
        prompt["out"] = new JsonObject
        {
            ["class_type"] = "PreviewImage",
            ["inputs"] = new JsonObject { ["images"] = new JsonArray((inverts + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), 0) },
        };
        return prompt;
    }

    [Fact]
    public async Task Concurrent_clients_on_uncached_chains_all_complete_and_every_preview_is_viewable()
    {
        await using var server = await ComfyTestServer.StartAsync();
        const int Clients = 6, PromptsEach = 4, Inverts = 20;
        var tasks = Enumerable.Range(0, Clients).Select(async c =>
        {
            string clientId = $"load-{c}";
            await using var ws = await server.ConnectAsync(clientId);
            var results = new List<(string PromptId, int Colour)>();
            var submitted = new List<(string PromptId, int Colour)>();
            for (int p = 0; p < PromptsEach; p++)
            {
                int colour = ((c * PromptsEach) + p + 1) * 0x010203;
                using var response = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = Chain(colour, Inverts), ["client_id"] = clientId });
                var body = await ComfyTestServer.ReadJsonAsync(response);
                Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
                submitted.Add(((string)body!["prompt_id"]!, colour));
            }
            foreach (var (promptId, colour) in submitted)
            {
                await ws.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(120));
                results.Add((promptId, colour));
            }
            return results;
        }).ToList();
        var all = (await Task.WhenAll(tasks)).SelectMany(r => r).ToList();
        Assert.Equal(Clients * PromptsEach, all.Count);
        foreach (var (promptId, colour) in all)
        {
            var entry = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
            Assert.Equal("success", (string)entry["status"]!["status_str"]!);
            var image = entry["outputs"]!["out"]!["images"]![0]!;
            Assert.Equal("temp", (string)image["type"]!);
            byte[] png = await server.Http.GetByteArrayAsync($"view?filename={Uri.EscapeDataString((string)image["filename"]!)}&type=temp");
            using var bitmap = SKBitmap.Decode(png);
            // An even number of inversions gives the colour back, up to one step of rounding.
            Assert.InRange(bitmap.GetPixel(0, 0).Red, ((colour >> 16) & 0xFF) - 1, ((colour >> 16) & 0xFF) + 1);
            Assert.InRange(bitmap.GetPixel(0, 0).Blue, (colour & 0xFF) - 1, (colour & 0xFF) + 1);
        }
        // Every preview got its own file name.
        Assert.Equal(all.Count, Directory.GetFiles(server.Directories.Temp).Length);
    }
}
