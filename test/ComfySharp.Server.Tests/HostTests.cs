using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Host;
using ComfySharp.Server.Files;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using Xunit;

namespace ComfySharp.Server.Tests;

public sealed class HostTests
{
    [Fact]
    public void Flags_parse_like_argparse()
    {
        ServerFlags flags = ServerFlags.Parse(["--listen", "--port", "8288", "--enable-cors-header", "--extra-model-paths-config", "a.yaml", "b.yaml",
            "--extra-model-paths-config=c.yaml", "--cache-lru", "5", "--verbose", "--highvram", "--fast", "fp16_accumulation"]);
        Assert.True(flags.Has("--listen"));
        Assert.Null(flags.Value("--listen"));
        Assert.Equal(8288, flags.Int("--port", 0));
        Assert.Null(flags.Value("--enable-cors-header"));
        Assert.Equal(["a.yaml", "b.yaml", "c.yaml"], flags.Values("--extra-model-paths-config"));
        Assert.Contains("--highvram", flags.Ignored);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--port")]
    [InlineData("--cpu=yes")]
    public void Unknown_or_malformed_flags_are_errors(string arg) =>
        Assert.Throws<FlagException>(() => ServerFlags.Parse([arg]));

    [Fact]
    public void Precision_flags_choose_the_compute_dtypes_and_system_stats_reports_them()
    {
        ComputeOptions defaults = PrecisionFlags.ComputeFrom(ServerFlags.Parse(["--cpu"]));
        Assert.Equal(ScalarType.Float32, defaults.ResolveUNetDtype());
        Assert.Equal(ScalarType.Float32, defaults.ResolveVaeDtype());

        ComputeOptions bf16 = PrecisionFlags.ComputeFrom(ServerFlags.Parse(["--cpu", "--bf16-unet", "--fp16-vae"]));
        Assert.Equal(ScalarType.BFloat16, bf16.ResolveUNetDtype());
        Assert.Equal(ScalarType.Float16, bf16.ResolveVaeDtype());
        Assert.Equal(ScalarType.Float32, PrecisionFlags.ComputeFrom(ServerFlags.Parse(["--force-fp32"])).ResolveUNetDtype());
        FlagException clash = Assert.Throws<FlagException>(() => PrecisionFlags.ComputeFrom(ServerFlags.Parse(["--bf16-unet", "--fp16-unet"])));
        Assert.Equal("argument --fp16-unet: not allowed with argument --bf16-unet", clash.Message);
        Assert.DoesNotContain("--bf16-unet", ServerFlags.Parse(["--bf16-unet"]).Ignored);

        string emulated = PrecisionFlags.Describe(bf16, CpuFeatures.Parse("fpu sse2 avx2 fma"));
        Assert.Contains("UNet bfloat16, VAE float16", emulated, StringComparison.Ordinal);
        Assert.Contains("CPU extensions: avx2 fma", emulated, StringComparison.Ordinal);
        Assert.Contains("emulated", emulated, StringComparison.Ordinal);
        Assert.DoesNotContain("emulated", PrecisionFlags.Describe(bf16, CpuFeatures.Parse("avx2 avx512f avx512_bf16")), StringComparison.Ordinal);

        var setup = ServerStartup.BuildSetup(ServerFlags.Parse(["--cpu", "--bf16-unet", "--in-memory"]), ["comfysharp"]);
        JsonObject report = setup.Options.ComputeReport!();
        Assert.Equal("cpu", (string)report["device"]!);
        Assert.Equal("bfloat16", (string)report["unet_dtype"]!);
        Assert.Equal("float32", (string)report["vae_dtype"]!);
        Assert.Empty(report["loaded_models"]!.AsArray());
    }

    [Fact]
    public void Setup_maps_flags_to_directories_options_and_nodes()
    {
        string root = TestPaths.NewTempDirectory("comfysharp-host");
        try
        {
            string user = Directory.CreateDirectory(Path.Combine(root, "u")).FullName;
            var setup = ServerStartup.BuildSetup(ServerFlags.Parse(["--base-directory", root, "--temp-directory", Path.Combine(root, "t"),
                "--user-directory", user, "--max-upload-size", "50", "--enable-cors-header", "http://a.b", "--cache-none", "--test-nodes", "--listen", "0.0.0.0,::", "--port", "9000"]), ["comfysharp"]);
            Assert.Equal(Path.Combine(root, "t", "temp"), setup.Directories.Temp);
            Assert.Equal(user, setup.Directories.User);
            Assert.Equal(Path.Combine(root, "input"), setup.Directories.Input);
            Assert.Equal(52428800, setup.Options.MaxUploadSize);
            Assert.True(setup.Options.MaxUploadSizeExplicit);
            Assert.Equal("http://a.b", setup.Options.CorsOrigin);
            Assert.Equal(CacheMode.None, setup.Options.Cache.Mode);
            Assert.Equal(["http://0.0.0.0:9000", "http://[::]:9000"], setup.Urls);
            Assert.Throws<FlagException>(() => ServerStartup.BuildSetup(ServerFlags.Parse(["--user-directory", Path.Combine(root, "missing")]), []));
            Assert.Throws<FlagException>(() => ServerStartup.BuildSetup(ServerFlags.Parse(["--cache-none", "--cache-lru", "3"]), []));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Extra_model_paths_yaml_adds_and_prepends_paths()
    {
        string root = TestPaths.NewTempDirectory("comfysharp-yaml");
        try
        {
            string yaml = Path.Combine(root, "extra.yaml");
            File.WriteAllText(yaml, """
                other:
                  base_path: /data/comfy/
                  is_default: true
                  checkpoints: models/checkpoints/
                  text_encoders: |
                    models/text_encoders/
                    models/clip/
                  my_custom_kind: stuff/
                a1111:
                  loras: relative/loras
                empty:
                """);
            var folders = new ModelFolders(new ComfyDirectories(root));
            ExtraModelPaths.Apply(folders, yaml);
            Assert.Equal("/data/comfy/models/checkpoints", folders.PathsOf("checkpoints")[0]);
            Assert.Equal(["/data/comfy/models/clip", "/data/comfy/models/text_encoders"], folders.PathsOf("text_encoders").Take(2).Order());
            Assert.Equal(Path.Combine(root, "relative", "loras"), folders.PathsOf("loras")[^1]);
            Assert.Contains("my_custom_kind", folders.Names);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
