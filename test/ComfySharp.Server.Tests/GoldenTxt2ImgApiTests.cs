using System.Text.Json.Nodes;
using ComfySharp.Diffusion.Previews;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Server.Tests;

/// <summary>
/// One real server with the core nodes and the deterministic SD1.5 checkpoint in its checkpoints
/// folder (as extra_model_paths.yaml would add it), started with <c>--preview-method auto</c>. The
/// checkpoint is loaded once by the first prompt and then served from the loader's cache.
/// </summary>
public sealed class Sd15ServerFixture : IAsyncLifetime
{
    /// <summary>The running server.</summary>
    public ComfyTestServer Server { get; private set; } = null!;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        string checkpoint = RandomSd15Checkpoint.EnsureFile();
        Server = await ComfyTestServer.StartAsync(s =>
        {
            s.TestNodes = false;
            s.Options.PreviewMethod = "auto";
            s.ConfigureModelFolders = folders => folders.AddPath("checkpoints", Path.GetDirectoryName(checkpoint)!);
        });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The golden txt2img workflows (07a/07b/07c) POSTed as the reference server received them: our own
/// tokenizer and CLIP from the prompt text, KSampler with per-step progress and live previews over the
/// WebSocket, VAEDecode, and SaveImage whose PNG (fetched through /view) must match the reference's.
/// </summary>
public sealed partial class GoldenTxt2ImgApiTests(Sd15ServerFixture fixture) : IClassFixture<Sd15ServerFixture>
{
    private const string SamplerNode = "3";
    private const string SaveNode = "9";

    // The first prompt loads 3.7 GB of weights on two shared cores.
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData("07a_txt2img_euler_normal", "golden_txt2img_euler_normal_00001_.png")]
    [InlineData("07b_txt2img_euler_ancestral_normal", "golden_txt2img_euler_ancestral_normal_00001_.png")]
    [InlineData("07c_txt2img_dpmpp_2m_karras", "golden_txt2img_dpmpp_2m_karras_00001_.png")]
    public async Task The_golden_workflow_over_the_api_gives_the_reference_image_with_progress_and_previews(string folder, string png)
    {
        ComfyTestServer server = fixture.Server;
        string clientId = "golden-" + folder;
        await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
        await ws.NextAsync();

        string promptId = await PostAsync(server, Workflow(folder), clientId, extraData: null);
        await ws.WaitForCompletionAsync(promptId, RunLimit);
        List<WsFrame> frames = Frames(ws);
        Assert.DoesNotContain(frames, f => f.Type == "execution_error");
        Assert.Contains(frames, f => f.Type == "execution_success");

        // Steps 1..3 of 3, reported by the sampler node, also in progress_state as integers.
        List<JsonObject> progress = frames.Where(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == SamplerNode)
            .Select(f => f.Data!).ToList();
        Assert.Equal([1, 2, 3], progress.Select(p => (int)p["value"]!));
        Assert.All(progress, p => Assert.Equal(3, (int)p["max"]!));
        Assert.All(progress, p => Assert.Equal(promptId, (string?)p["prompt_id"]));
        List<JsonObject> samplerStates = frames.Where(f => f.Text is not null && f.Type == "progress_state")
            .Select(f => f.Data!["nodes"]![SamplerNode] as JsonObject).OfType<JsonObject>().ToList();
        foreach (int step in new[] { 1, 2, 3 })
        {
            Assert.Contains(samplerStates, s => (string?)s["state"] == "running" && s["value"]!.ToJsonString() == step.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && s["max"]!.ToJsonString() == "3");
        }
        Assert.Equal("finished", (string?)samplerStates[^1]["state"]);

        // One JPEG preview per step, sent while the sampler node runs, showing that step's denoised latent.
        int samplerStart = frames.FindIndex(f => f.Text is not null && f.Type == "executing" && (string?)f.Data!["node"] == SamplerNode);
        int samplerEnd = frames.FindIndex(samplerStart + 1, f => f.Text is not null && f.Type == "executing");
        Assert.True(samplerStart >= 0 && samplerEnd > samplerStart);
        List<(int Index, byte[] Frame)> previews = frames.Select((f, i) => (i, f.Binary)).Where(p => p.Binary is not null)
            .Select(p => (p.i, p.Binary!)).ToList();
        Assert.Equal(3, previews.Count);
        Assert.All(previews, p => Assert.InRange(p.Index, samplerStart + 1, samplerEnd - 1));
        using (var scope = NewDisposeScope())
        {
            Dictionary<string, Tensor> golden = LoadGolden(folder);
            for (int k = 0; k < 3; k++)
            {
                byte[] frame = previews[k].Frame;
                Assert.Equal((uint)BinaryEventType.PreviewImage, BinaryFrames.ReadEventType(frame));
                Assert.Equal(1u, BinaryFrames.ReadSecondWord(frame)); // JPEG
                Assert.Equal([0xFF, 0xD8], frame[8..10]);
                PixelBuffer shown = ImageDecoder.Decode(frame[8..], 1 << 22).Frames[0].Rgba.WithChannels(3);
                Assert.Equal((512, 512), (shown.Width, shown.Height));
                PixelBuffer expected = LatentPreview.ResizeBilinear(
                    LatentPreview.Latent2Rgb(golden["steps_denoised"][k], Latent2RgbFormat), 512, 512);
                double meanDiff = shown.Pixels.Zip(expected.Pixels, (a, b) => Math.Abs(a - b)).Average();
                Assert.True(meanDiff < 3, $"preview {k}: mean difference {meanDiff:F2} levels from the latent2rgb of steps_denoised[{k}]");
            }
        }

        // SaveImage's output, fetched like a client does, against the reference server's PNG.
        WsFrame executed = frames.Single(f => f.Text is not null && f.Type == "executed" && (string?)f.Data!["node"] == SaveNode);
        JsonObject image = (JsonObject)executed.Data!["output"]!["images"]![0]!;
        Assert.Equal(png, (string?)image["filename"]);
        Assert.Equal("output", (string?)image["type"]);
        using HttpResponseMessage view = await server.Http.GetAsync(
            $"view?filename={Uri.EscapeDataString(png)}&subfolder={Uri.EscapeDataString((string?)image["subfolder"] ?? "")}&type=output");
        Assert.Equal(200, (int)view.StatusCode);
        byte[] ours = await view.Content.ReadAsByteArrayAsync();
        byte[] reference = await File.ReadAllBytesAsync(Path.Combine(TestPaths.Shared, "golden", "sd15", folder, png));
        AssertPixelsMatch(reference, ours);
    }

    [Fact]
    public async Task Preview_method_none_in_extra_data_sends_progress_but_no_preview_frames()
    {
        ComfyTestServer server = fixture.Server;
        const string clientId = "golden-no-previews";
        await using ComfyWebSocketClient ws = await server.ConnectAsync(clientId);
        await ws.NextAsync();
        JsonObject graph = Workflow("07a_txt2img_euler_normal");
        // Another seed and step count so the sampler really runs even after the golden cases.
        graph[SamplerNode]!["inputs"]!["seed"] = 7;
        graph[SamplerNode]!["inputs"]!["steps"] = 2;
        graph[SaveNode]!["inputs"]!["filename_prefix"] = "no_previews";

        string promptId = await PostAsync(server, graph, clientId, new JsonObject { ["preview_method"] = "none" });
        await ws.WaitForCompletionAsync(promptId, RunLimit);
        List<WsFrame> frames = Frames(ws);
        Assert.Contains(frames, f => f.Type == "execution_success");
        Assert.Equal([1, 2], frames.Where(f => f.Text is not null && f.Type == "progress" && (string?)f.Data!["node"] == SamplerNode)
            .Select(f => (int)f.Data!["value"]!));
        Assert.DoesNotContain(frames, f => f.Binary is not null);
    }

    private static readonly ComfySharp.Diffusion.Models.LatentFormat Latent2RgbFormat = ComfySharp.Diffusion.Checkpoints.LatentFormats.Sd15;

    private static List<WsFrame> Frames(ComfyWebSocketClient ws)
    {
        lock (ws.Received)
        {
            return [.. ws.Received];
        }
    }

    private static JsonObject Workflow(string folder) =>
        (JsonObject)PythonJson.Parse(File.ReadAllText(Path.Combine(TestPaths.Shared, "golden", "sd15", folder, "workflow_api.json")))!;

    private static async Task<string> PostAsync(ComfyTestServer server, JsonObject graph, string clientId, JsonObject? extraData)
    {
        var body = new JsonObject { ["prompt"] = graph, ["client_id"] = clientId };
        if (extraData is not null)
        {
            body["extra_data"] = extraData;
        }
        using HttpResponseMessage post = await server.PostJsonAsync("prompt", body);
        string text = await post.Content.ReadAsStringAsync();
        Assert.True(post.IsSuccessStatusCode, text);
        return (string)PythonJson.Parse(text)!["prompt_id"]!;
    }

    private static Dictionary<string, Tensor> LoadGolden(string folder)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", folder, "result.safetensors"));
        return file.LoadWithPrefix("");
    }

    // Golden README §3: at most 2 levels apart, and at most 5% of the values differ at all.
    private static void AssertPixelsMatch(byte[] referencePng, byte[] ourPng)
    {
        PixelBuffer expected = ImageDecoder.Decode(referencePng, 1 << 22).Frames[0].Rgba.WithChannels(3);
        PixelBuffer actual = ImageDecoder.Decode(ourPng, 1 << 22).Frames[0].Rgba.WithChannels(3);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int maxDiff = 0, differing = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            int d = Math.Abs(expected.Pixels[i] - actual.Pixels[i]);
            maxDiff = Math.Max(maxDiff, d);
            differing += d > 0 ? 1 : 0;
        }
        double fraction = (double)differing / expected.Pixels.Length;
        Assert.True(maxDiff <= 2, $"max difference {maxDiff} levels");
        Assert.True(fraction <= 0.05, $"{fraction:P2} of the values differ");
    }
}
