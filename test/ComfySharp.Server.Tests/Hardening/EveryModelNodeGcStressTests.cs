using System.Collections.Frozen;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;
using Provider = ComfySharp.Server.Tests.Hardening.NodeGraphs.Provider;
using Consumer = ComfySharp.Server.Tests.Hardening.NodeGraphs.Consumer;

namespace ComfySharp.Server.Tests.Hardening;

/// <summary>
/// Issue 22, the other half of <see cref="EveryNodeGcStressTests"/>: every class that needs a MODEL, CLIP, VAE,
/// CONDITIONING, GUIDER or HOOKS (about 90) runs on a real server holding the deterministic SD1.5 checkpoint and a
/// small LoRA, under forced collections, at the widget modes asked for (see Modes; not part of the CI run). What a class makes is also used:
/// a patched MODEL or a new CONDITIONING goes through a one-step KSampler, a CLIP encodes a prompt, a VAE decodes,
/// a GUIDER samples, so model patches and conditioning code run inside the sampler while the collector runs.
/// </summary>
public sealed class EveryModelNodeGcStressTests(EveryModelNodeGcStressTests.ModelServerFixture fixture, ITestOutputHelper output)
    : IClassFixture<EveryModelNodeGcStressTests.ModelServerFixture>
{
    private const string CheckpointName = "sd15-random.safetensors";
    private const string LoraName = "tiny-lora.safetensors";

    // Classes left out, with the reason: each writes a multi-GB file of the whole model (their own tests cover them).
    private static readonly FrozenSet<string> Excluded = FrozenSet.Create(StringComparer.Ordinal,
        "CheckpointSave", "ModelSave", "CLIPSave", "VAESave");

    private static readonly Dictionary<string, Provider> ModelProviders = new(StringComparer.Ordinal)
    {
        ["MODEL"] = new("p_ckpt", "CheckpointLoaderSimple", $$"""{"ckpt_name": "{{CheckpointName}}"}""", 0),
        ["CLIP"] = new("p_ckpt", "CheckpointLoaderSimple", $$"""{"ckpt_name": "{{CheckpointName}}"}""", 1),
        ["VAE"] = new("p_ckpt", "CheckpointLoaderSimple", $$"""{"ckpt_name": "{{CheckpointName}}"}""", 2),
        ["CONDITIONING"] = new("p_cond", "CLIPTextEncode", """{"text": "a red fox", "clip": ["p_ckpt", 1]}""", 0, "CLIP"),
        ["GUIDER"] = new("p_guider", "CFGGuider", """{"model": ["p_ckpt", 0], "positive": ["p_cond", 0], "negative": ["p_cond", 0], "cfg": 8.0}""",
            0, "MODEL", "CONDITIONING"),
        ["HOOKS"] = new("p_hooks", "CreateHookLora", $$"""{"lora_name": "{{LoraName}}", "strength_model": 1.0, "strength_clip": 1.0}"""),
    };

    private const string Sampler = """
        {"model": ["p_ckpt", 0], "seed": 1, "steps": 1, "cfg": 1.0, "sampler_name": "euler", "scheduler": "normal",
         "positive": ["p_cond", 0], "negative": ["p_cond", 0], "latent_image": ["p_LATENT", 0], "denoise": 1.0}
        """;

    private static readonly Dictionary<string, Consumer> Consumers = new(StringComparer.Ordinal)
    {
        ["MODEL"] = new("KSampler", "model", Sampler, "MODEL", "CONDITIONING", "LATENT"),
        ["CONDITIONING"] = new("KSampler", "positive", Sampler, "MODEL", "CONDITIONING", "LATENT"),
        ["CLIP"] = new("CLIPTextEncode", "clip", """{"text": "a red fox"}"""),
        ["VAE"] = new("VAEDecode", "vae", """{"samples": ["p_LATENT", 0]}""", "LATENT"),
        ["GUIDER"] = new("SamplerCustomAdvanced", "guider",
            """{"noise": ["p_NOISE", 0], "sampler": ["p_SAMPLER", 0], "sigmas": ["p_SIGMAS", 0], "latent_image": ["p_LATENT", 0]}""",
            "NOISE", "SAMPLER", "SIGMAS", "LATENT"),
    };

    // Sampling steps stay small at every widget mode: 10,000 steps of the full UNet test time, not limits.
    private static readonly Dictionary<string, JsonNode> Overrides = new(StringComparer.Ordinal) { ["steps"] = 1 };

    /// <summary>
    /// The widget modes to sweep, from <c>COMFYSHARP_MODEL_SWEEP</c> (e.g. <c>Default,Minimum,Maximum</c>, as
    /// <c>bench/fuzz.sh</c> sets it). Unset, the test is skipped: each class samples the full SD1.5 UNet under a
    /// collector that stops the world, so a sweep takes tens of minutes (a model merge patches every weight), too long
    /// for the CI run.
    /// </summary>
    private static List<EveryNodeGcStressTests.Widgets> Modes() =>
        [.. (Environment.GetEnvironmentVariable("COMFYSHARP_MODEL_SWEEP") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Enum.Parse<EveryNodeGcStressTests.Widgets>)];

    [Fact]
    public async Task Every_model_node_runs_or_fails_cleanly_while_collections_run()
    {
        List<EveryNodeGcStressTests.Widgets> modes = Modes();
        Assert.SkipWhen(modes.Count == 0, "set COMFYSHARP_MODEL_SWEEP=Default[,Minimum,Maximum] (bench/fuzz.sh does)");
        ComfyTestServer server = fixture.Server!;
        JsonObject catalogue = (JsonObject)(await server.GetJsonAsync("object_info"))!;
        foreach (EveryNodeGcStressTests.Widgets widgets in modes)
        {
            var modelFree = new NodeGraphs(widgets);
            NodeGraphs withModels = modelFree.With(ModelProviders, Overrides, Consumers);
            JsonObject? Build(string classType, JsonObject info) =>
                Excluded.Contains(classType) || modelFree.Build(classType, info) is not null ? null : withModels.Build(classType, info);
            // The first prompt loads 3.7 GB of weights on two shared cores.
            GcStressSweep sweep = await GcStressSweep.RunAsync(server, catalogue, Build, TimeSpan.FromMinutes(15), TimeSpan.FromMilliseconds(2));
            sweep.Report(output, $"models, {widgets}");
            sweep.AssertNoBugs();
            // With defaults, nearly every model class must run: the SD1.5-only ones (SDXL encoders, merges of other
            // families) fail cleanly, anything more shows the harness lost its providers.
            Assert.True(sweep.Ran.Count >= (widgets == EveryNodeGcStressTests.Widgets.Default ? 60 : 30),
                $"only {sweep.Ran.Count} classes ran ({widgets}): {string.Join(", ", sweep.Ran)}");
        }
    }

    /// <summary>One server for every widget mode, so the checkpoint is loaded once.</summary>
    public sealed class ModelServerFixture : IAsyncLifetime
    {
        private readonly string _models = TestPaths.NewTempDirectory("gc-models");

        public ComfyTestServer? Server { get; private set; }

        public async ValueTask InitializeAsync()
        {
            if (Modes().Count == 0)
            {
                return; // the test is skipped: no checkpoint, no server
            }
            LinkOrCopy(RandomSd15Checkpoint.EnsureFile(), Path.Combine(_models, "checkpoints", CheckpointName));
            WriteTinyLora(Path.Combine(_models, "loras", LoraName));
            Server = await ComfyTestServer.StartAsync(s =>
            {
                s.TestNodes = false;
                s.ConfigureModelFolders = folders =>
                {
                    folders.AddPath("checkpoints", Path.Combine(_models, "checkpoints"));
                    folders.AddPath("loras", Path.Combine(_models, "loras"));
                };
            });
            await EveryNodeGcStressTests.ProvideInputImageAsync(Server);
        }

        public async ValueTask DisposeAsync()
        {
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }
            Directory.Delete(_models, recursive: true);
        }
    }

    /// <summary>A hard link to the cached checkpoint (a symbolic one would be refused as leaving the folder); a copy where links fail.</summary>
    private static void LinkOrCopy(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        using Process? ln = Process.Start(new ProcessStartInfo("ln", [source, target]) { RedirectStandardError = true });
        ln?.WaitForExit();
        if (ln?.ExitCode != 0 || !File.Exists(target))
        {
            File.Copy(source, target);
        }
    }

    /// <summary>A rank-2 kohya LoRA on one UNet projection and one text-encoder projection of SD1.5, seeded.</summary>
    private static void WriteTinyLora(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var scope = NewDisposeScope();
        using var generator = new Generator(42);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["lora_unet_input_blocks_1_1_proj_in.lora_down.weight"] = randn([2, 320, 1, 1], generator: generator),
            ["lora_unet_input_blocks_1_1_proj_in.lora_up.weight"] = randn([320, 2, 1, 1], generator: generator),
            ["lora_unet_input_blocks_1_1_proj_in.alpha"] = tensor(2.0f),
            ["lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"] = randn([2, 768], generator: generator),
            ["lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight"] = randn([768, 2], generator: generator),
            ["lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha"] = tensor(2.0f),
        };
        SafeTensorsWriter.Write(path, tensors);
    }
}
