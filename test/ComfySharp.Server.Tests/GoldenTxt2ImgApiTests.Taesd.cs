using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>TAESD previews over the API, on the same one-checkpoint server as the golden runs.</summary>
public sealed partial class GoldenTxt2ImgApiTests
{
    [Fact]
    public async Task Preview_method_taesd_sends_frames_decoded_by_the_taesd_decoder_in_vae_approx()
    {
        // The primary constructor's fixture is in scope only in the other part of this class.
        ComfyTestServer server = (await TestContext.Current.GetFixture<Sd15ServerFixture>())!.Server;
        // A decoder that paints one colour everywhere: a latent2rgb preview could never be this flat picture.
        float[] rgb = [0.2f, 0.7f, 0.4f];
        string decoder = Path.Combine(server.Directories.Models, "vae_approx", RandomTaesdDecoder.FileName);
        RandomTaesdDecoder.WriteConstant(decoder, rgb);
        try
        {
            const string clientId = "golden-taesd-previews";
            await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
            await ws.NextAsync();
            JsonObject graph = Workflow("07a_txt2img_euler_normal");
            // Another seed and step count so the sampler really runs whatever ran before.
            graph[SamplerNode]!["inputs"]!["seed"] = 8;
            graph[SamplerNode]!["inputs"]!["steps"] = 2;
            graph[SaveNode]!["inputs"]!["filename_prefix"] = "taesd_previews";

            string promptId = await PostAsync(server, graph, clientId, new JsonObject { ["preview_method"] = "taesd" });
            await ws.WaitForCompletionAsync(promptId, RunLimit);
            List<WsFrame> frames = Frames(ws);
            Assert.Contains(frames, f => f.Type == "execution_success");
            Assert.Equal([1, 2], frames.Where(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == SamplerNode)
                .Select(f => (int)f.Data!["value"]!));
            List<byte[]> previews = frames.Where(f => f.Binary is not null).Select(f => f.Binary!).ToList();
            Assert.Equal(2, previews.Count);
            foreach (byte[] frame in previews)
            {
                Assert.Equal((uint)BinaryEventType.PreviewImage, BinaryFrames.ReadEventType(frame));
                Assert.Equal(1u, BinaryFrames.ReadSecondWord(frame)); // JPEG
                PixelBuffer shown = ImageDecoder.Decode(frame[8..], 1 << 22).Frames[0].Rgba.WithChannels(3);
                // TAESD decodes the 8×8 latent to 64×64, then the frame is fitted into the 512 preview square.
                Assert.Equal((512, 512), (shown.Width, shown.Height));
                for (int c = 0; c < 3; c++)
                {
                    int expected = (int)(rgb[c] * 255);
                    double mean = Enumerable.Range(0, shown.Width * shown.Height).Average(i => (double)shown.Pixels[(i * 3) + c]);
                    Assert.InRange(mean, expected - 3, expected + 3);
                }
            }
        }
        finally
        {
            File.Delete(decoder);
        }
    }
}
