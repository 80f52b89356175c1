using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Server.Tests;

/// <summary>TAESD previews and interrupting the sampler over the API, on the same one-checkpoint server as the golden runs.</summary>
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
    [Fact]
    public async Task Interrupt_during_sampling_stops_the_sampler_between_steps()
    {
        ComfyTestServer server = (await TestContext.Current.GetFixture<Sd15ServerFixture>())!.Server;
        const string clientId = "golden-interrupt";
        await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
        await ws.NextAsync();
        JsonObject graph = Workflow("07a_txt2img_euler_normal");
        const int Steps = 20;
        graph[SamplerNode]!["inputs"]!["seed"] = 9;
        graph[SamplerNode]!["inputs"]!["steps"] = Steps;
        graph[SaveNode]!["inputs"]!["filename_prefix"] = "interrupted";

        string promptId = await PostAsync(server, graph, clientId, new JsonObject { ["preview_method"] = "none" });
        await ws.WaitForAsync(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == SamplerNode, RunLimit);
        using (HttpResponseMessage interrupt = await server.Http.PostAsync("interrupt", null))
        {
            Assert.Equal(200, (int)interrupt.StatusCode);
        }
        await ws.WaitForCompletionAsync(promptId, RunLimit);
        List<WsFrame> frames = Frames(ws);

        WsFrame interrupted = Assert.Single(frames, f => f.Text is not null && f.Type == "execution_interrupted");
        Assert.Equal(promptId, (string?)interrupted.Data!["prompt_id"]);
        Assert.Equal(SamplerNode, (string?)interrupted.Data["node_id"]);
        Assert.Equal("KSampler", (string?)interrupted.Data["node_type"]);
        Assert.DoesNotContain(frames, f => f.Text is not null && f.Type is "execution_success" or "execution_error");
        Assert.DoesNotContain(frames, f => f.Text is not null && f.Type == "executed");
        // The step in flight when the interrupt came may finish; the sampler stops before the next model call.
        List<int> steps = frames.Where(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == SamplerNode)
            .Select(f => (int)f.Data!["value"]!).ToList();
        Assert.InRange(steps.Count, 1, 2);
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);

        JsonObject history = (JsonObject)(await server.GetJsonAsync($"history/{promptId}"))![promptId]!;
        Assert.Equal("error", (string?)history["status"]!["status_str"]);
        Assert.Empty((JsonObject)history["outputs"]!);
    }
}
