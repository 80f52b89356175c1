using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>Upload → LoadImage → ImageScale → ImageInvert → SaveImage → /view through the real in-process server.</summary>
public sealed class EndToEndApiTests
{
    [Fact]
    public async Task Uploaded_image_is_scaled_inverted_saved_and_downloaded_with_its_workflow()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        byte[] original = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 255];
        byte[] png = PngFile.Encode(new PixelBuffer(4, 2, 3, original), 4);

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "e2e.png");
        using var upload = await server.Http.PostAsync("upload/image", form, TestContext.Current.CancellationToken);
        upload.EnsureSuccessStatusCode();
        var uploaded = (await ComfyTestServer.ReadJsonAsync(upload))!;
        Assert.Equal("input", (string?)uploaded["type"]);
        string name = (string)uploaded["name"]!;

        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "LoadImage", ["inputs"] = new JsonObject { ["image"] = name } },
            ["2"] = new JsonObject
            {
                ["class_type"] = "ImageScale",
                ["inputs"] = new JsonObject { ["image"] = new JsonArray("1", 0), ["upscale_method"] = "nearest-exact", ["width"] = 8, ["height"] = 4, ["crop"] = "disabled" },
            },
            ["3"] = new JsonObject { ["class_type"] = "ImageInvert", ["inputs"] = new JsonObject { ["image"] = new JsonArray("2", 0) } },
            ["4"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("3", 0), ["filename_prefix"] = "e2e/result" } },
        };
        var workflow = new JsonObject { ["last_node_id"] = 4, ["nodes"] = new JsonArray(), ["version"] = 0.4 };
        var body = new JsonObject
        {
            ["prompt"] = prompt,
            ["client_id"] = clientId,
            ["extra_data"] = new JsonObject { ["extra_pnginfo"] = new JsonObject { ["workflow"] = workflow } },
        };
        using var queued = await server.PostJsonAsync("prompt", body);
        var queuedBody = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, queuedBody?.ToJsonString());
        string promptId = (string)queuedBody!["prompt_id"]!;
        await socket.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(120));

        var history = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("success", (string?)history["status"]!["status_str"]);
        var saved = history["outputs"]!["4"]!["images"]![0]!;
        Assert.Equal("result_00001_.png", (string?)saved["filename"]);
        Assert.Equal("e2e", (string?)saved["subfolder"]);
        Assert.Equal("output", (string?)saved["type"]);

        byte[] downloaded = await server.Http.GetByteArrayAsync("view?filename=result_00001_.png&subfolder=e2e&type=output", TestContext.Current.CancellationToken);
        var frame = ImageDecoder.Decode(downloaded, 1 << 20).Frames[0];
        Assert.Equal((8, 4), (frame.Rgba.Width, frame.Rgba.Height));
        byte[] pixels = frame.Rgba.WithChannels(3).Pixels;
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    byte source = original[((((y / 2) * 4) + (x / 2)) * 3) + c];
                    byte expected = (byte)Math.Clamp((1f - (source / 255f)) * 255f, 0f, 255f);
                    Assert.Equal(expected, pixels[(((y * 8) + x) * 3) + c]);
                }
            }
        }

        var texts = PngFile.ReadText(downloaded).ToDictionary(t => t.Keyword, t => t.Text);
        Assert.Equal(["prompt", "workflow"], texts.Keys);
        var savedPrompt = JsonNode.Parse(texts["prompt"])!;
        Assert.Equal("LoadImage", (string?)savedPrompt["1"]!["class_type"]);
        Assert.Equal("e2e/result", (string?)savedPrompt["4"]!["inputs"]!["filename_prefix"]);
        Assert.Equal("""{"last_node_id": 4, "nodes": [], "version": 0.4}""", texts["workflow"]);
    }
}
