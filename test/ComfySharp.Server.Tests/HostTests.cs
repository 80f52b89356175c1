using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Host;
using ComfySharp.Server.Files;
using ComfySharp.TestKit;
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
