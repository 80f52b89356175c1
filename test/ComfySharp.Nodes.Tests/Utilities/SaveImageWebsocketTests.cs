using System.Buffers.Binary;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Nodes.Tests.Utilities;

/// <summary>SaveImageWebsocket through the real server: one PNG binary frame per image to the prompt's socket, decoding to the image.</summary>
public sealed class SaveImageWebsocketTests
{
    [Fact]
    public async Task Each_image_arrives_as_an_event_1_PNG_frame_that_decodes_to_the_image()
    {
        await using var server = await ComfyTestServer.StartAsync(s => s.TestNodes = false);
        string clientId = Guid.NewGuid().ToString("N");
        await using var socket = await server.ConnectAsync(clientId);
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "EmptyImage", ["inputs"] = new JsonObject { ["width"] = 5, ["height"] = 3, ["batch_size"] = 2, ["color"] = 0x336699 } },
            ["2"] = new JsonObject { ["class_type"] = "SaveImageWebsocket", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0) } },
        };
        using var queued = await server.PostJsonAsync("prompt", new JsonObject { ["prompt"] = prompt, ["client_id"] = clientId });
        var body = await ComfyTestServer.ReadJsonAsync(queued);
        Assert.True(queued.IsSuccessStatusCode, body?.ToJsonString());
        string promptId = (string)body!["prompt_id"]!;
        await socket.WaitForCompletionAsync(promptId, TimeSpan.FromSeconds(60));

        var frames = socket.Received.Where(f => f.Binary is not null).Select(f => f.Binary!).ToList();
        Assert.Equal(2, frames.Count);
        foreach (byte[] frame in frames)
        {
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(frame));
            Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4)));
            var image = ImageDecoder.Decode(frame[8..], 1 << 20).Frames[0].Rgba.WithChannels(3);
            Assert.Equal((5, 3), (image.Width, image.Height));
            for (int p = 0; p < 15; p++)
            {
                Assert.Equal(new byte[] { 0x33, 0x66, 0x99 }, image.Pixels[(p * 3)..((p * 3) + 3)]);
            }
        }
        // Progress for the first image precedes the frames; the node writes no output and no file.
        Assert.DoesNotContain(socket.Received, f => f.Type == "executed");
        var history = (await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("success", (string?)history["status"]!["status_str"]);
    }
}
