using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Nodes;
using ComfySharp.Nodes.Testing;
using ComfySharp.Server;
using ComfySharp.Server.Files;
using ComfySharp.Torch.Models;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Host;

/// <summary>Turns parsed flags into a running server.</summary>
internal static class ServerStartup
{
    private static readonly string[] PreviewMethods = ["none", "auto", "latent2rgb", "taesd"];
    private static readonly string[] CacheFlags = ["--cache-classic", "--cache-lru", "--cache-ram", "--cache-none"];

    /// <summary>Builds the server setup from flags (directories, folders, registry, options).</summary>
    public static ComfyServerSetup BuildSetup(ServerFlags flags, IReadOnlyList<string> argv)
    {
        string baseDirectory = Path.GetFullPath(flags.Value("--base-directory") ?? Directory.GetCurrentDirectory());
        string? userDirectory = flags.Value("--user-directory");
        if (userDirectory is not null && !Directory.Exists(userDirectory))
        {
            throw new FlagException($"argument --user-directory: directory does not exist: '{userDirectory}'");
        }
        string? tempParent = flags.Value("--temp-directory");
        var directories = new ComfyDirectories(baseDirectory,
            input: flags.Value("--input-directory"),
            output: flags.Value("--output-directory"),
            temp: tempParent is null ? null : Path.Combine(tempParent, "temp"),
            user: userDirectory);

        var modelFolders = new ModelFolders(directories);
        string besideProgram = Path.Combine(AppContext.BaseDirectory, "extra_model_paths.yaml");
        foreach (string yaml in new[] { besideProgram }.Where(File.Exists).Concat(flags.Values("--extra-model-paths-config")))
        {
            ExtraModelPaths.Apply(modelFolders, yaml);
        }

        var registry = new NodeRegistry().AddPack(new CoreNodes());
        if (flags.Has("--test-nodes"))
        {
            registry.AddPack(new TestingNodes());
        }

        string previewMethod = flags.Value("--preview-method") ?? "none";
        if (!PreviewMethods.Contains(previewMethod))
        {
            throw new FlagException($"argument --preview-method: invalid choice: '{previewMethod}' (choose from 'none', 'auto', 'latent2rgb', 'taesd')");
        }
        double? uploadMb = flags.Float("--max-upload-size");
        var options = new ComfyServerOptions
        {
            MaxUploadSize = uploadMb is double mb ? (long)Math.Round(mb * 1024 * 1024) : ComfyServerOptions.DefaultMaxUploadSize,
            MaxUploadSizeExplicit = uploadMb is not null,
            CorsOrigin = flags.Has("--enable-cors-header") ? flags.Value("--enable-cors-header") ?? "*" : null,
            PreviewMethod = previewMethod,
            PreviewSize = flags.Int("--preview-size", 512),
            DisableMetadata = flags.Has("--disable-metadata"),
            FrontEndRoot = flags.Value("--front-end-root"),
            DatabasePath = flags.Value("--database"),
            InMemoryStore = flags.Has("--in-memory"),
            RequireAuth = AuthRequired(flags),
            Webhook = flags.Value("--webhook"),
            WebhookSecret = flags.Value("--webhook-secret"),
            Cache = CacheFrom(flags),
            Argv = argv,
            MaxExecutionSeconds = flags.Float("--max-execution-seconds"),
        };
        ScaleOutFlags.Apply(flags, options);
        if (options.MaxExecutionSeconds is double limit && !(limit > 0 && double.IsFinite(limit)))
        {
            throw new FlagException($"argument --max-execution-seconds: must be a positive number of seconds: '{limit}'");
        }
        if (options.FrontEndRoot is string root && !Directory.Exists(root))
        {
            throw new FlagException($"argument --front-end-root: directory does not exist: '{root}'");
        }

        var models = new ModelManager(PrecisionFlags.ComputeFrom(flags));
        options.UnloadModels = () => models.UnloadAll();
        options.ComputeReport = () => ComputeReport(models);
        options.LoadedModelFiles = () => models.Loaded.Select(m => m.Path).ToList();
        options.ReadinessChecks["device"] = () => models.SystemInfo().Devices.Count > 0;
        return new ComfyServerSetup
        {
            ConfigureServices = services => services.AddSingleton(models),
            Options = options,
            Directories = directories,
            ModelFolders = modelFolders,
            Registry = registry,
            Urls = Urls(flags),
            MinimumLogLevel = LogLevelFrom(flags),
        };
    }

    /// <summary>Runs the server until Ctrl+C.</summary>
    public static async Task<int> RunAsync(ServerFlags flags, IReadOnlyList<string> argv)
    {
        ComfyServerSetup setup = BuildSetup(flags, argv);
        await using WebApplication app = ComfyServerApp.Create(setup);
        foreach (string flag in flags.Ignored.Distinct())
        {
            app.Logger.LogInformation("Flag {Flag} is accepted for compatibility and has no effect in ComfySharp.", flag);
        }
        app.Logger.LogInformation("Base directory: {Base}; models: {Models}; input: {Input}; output: {Output}",
            setup.Directories.Base, setup.Directories.Models, setup.Directories.RootInput, setup.Directories.Output);
        app.Logger.LogInformation("{Count} node classes registered.", setup.Registry.All.Count);
        if (app.Services.GetService<ModelManager>() is { } manager)
        {
            app.Logger.LogInformation("{Compute}", PrecisionFlags.Describe(manager.Options, CpuFeatures.Current));
        }
        WarnAboutExposure(app.Logger, flags, setup);
        if (flags.Has("--quick-test-for-ci"))
        {
            return 0;
        }
        await app.StartAsync().ConfigureAwait(false);
        foreach (string url in app.Urls)
        {
            Console.WriteLine($"To see the GUI go to: {url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)}");
        }
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>--auth; or listening beyond loopback without --no-auth.</summary>
    internal static bool AuthRequired(ServerFlags flags)
    {
        if (flags.Has("--auth") && flags.Has("--no-auth"))
        {
            throw new FlagException("argument --no-auth: not allowed with argument --auth");
        }
        return flags.Has("--auth") || (!flags.Has("--no-auth") && ListensBeyondLoopback(flags));
    }

    private static bool ListensBeyondLoopback(ServerFlags flags) =>
        flags.Has("--listen") && (flags.Value("--listen") ?? "0.0.0.0,::").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(ip => !(System.Net.IPAddress.TryParse(ip.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address)) && ip != "localhost");

    private static void WarnAboutExposure(ILogger logger, ServerFlags flags, ComfyServerSetup setup)
    {
        if (!ListensBeyondLoopback(flags))
        {
            return;
        }
        if (setup.Options.RequireAuth && !flags.Has("--auth"))
        {
            logger.LogWarning("!!! Listening beyond loopback ({Urls}): API keys are REQUIRED on every route (create them with `comfysharp users add` / `comfysharp keys create`; --no-auth turns this off).",
                string.Join(", ", setup.Urls));
        }
        else if (!setup.Options.RequireAuth)
        {
            logger.LogWarning("!!! --no-auth while listening beyond loopback ({Urls}): ANYONE who can reach this address can run prompts and read every output.",
                string.Join(", ", setup.Urls));
        }
    }

    private static List<string> Urls(ServerFlags flags)
    {
        int port = flags.Int("--port", 8188);
        string listen = flags.Has("--listen") ? flags.Value("--listen") ?? "0.0.0.0,::" : "127.0.0.1";
        return listen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ip => ip.Contains(':', StringComparison.Ordinal) ? $"http://[{ip.Trim('[', ']')}]:{port}" : $"http://{ip}:{port}")
            .ToList();
    }

    private static CacheOptions CacheFrom(ServerFlags flags)
    {
        int chosen = CacheFlags.Count(flags.Has);
        if (chosen > 1)
        {
            throw new FlagException("argument --cache-*: the cache flags are mutually exclusive");
        }
        if (flags.Has("--cache-none"))
        {
            return new CacheOptions(CacheMode.None);
        }
        if (flags.Has("--cache-lru"))
        {
            // The reference switches to LRU only for N > 0; --cache-lru 0 is the classic policy (TESTPACK.md §2).
            int size = flags.Int("--cache-lru", 0);
            return size > 0 ? new CacheOptions(CacheMode.Lru, LruSize: size) : new CacheOptions(CacheMode.Classic);
        }
        if (flags.Has("--cache-ram"))
        {
            return new CacheOptions(CacheMode.RamPressure, RamHeadroomGb: flags.Float("--cache-ram") ?? 4.0);
        }
        return new CacheOptions(CacheMode.Classic);
    }

    private static LogLevel LogLevelFrom(ServerFlags flags)
    {
        if (!flags.Has("--verbose"))
        {
            return LogLevel.Information;
        }
        return (flags.Value("--verbose") ?? "DEBUG").ToUpperInvariant() switch
        {
            "DEBUG" => LogLevel.Debug,
            "INFO" => LogLevel.Information,
            "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" => LogLevel.Critical,
            string other => throw new FlagException($"argument --verbose: invalid choice: '{other}'"),
        };
    }

    /// <summary>The <c>comfysharp</c> section of <c>/system_stats</c>: what each model kind runs in and what is loaded.</summary>
    internal static JsonObject ComputeReport(ModelManager models)
    {
        ComputeOptions options = models.Options;
        CpuFeatures cpu = CpuFeatures.Current;
        return new JsonObject
        {
            ["device"] = options.UsesCuda ? "cuda" : "cpu",
            ["unet_dtype"] = PrecisionFlags.Name(options.ResolveUNetDtype()),
            ["vae_dtype"] = PrecisionFlags.Name(options.ResolveVaeDtype()),
            ["text_encoder_dtype"] = PrecisionFlags.Name(options.ResolveTextEncoderDtype()),
            ["cpu_features"] = new JsonArray([.. cpu.Summary.Select(f => (JsonNode?)JsonValue.Create(f))]),
            ["native_bfloat16"] = cpu.NativeBFloat16,
            ["loaded_model_bytes"] = models.LoadedBytes,
            ["model_memory_budget_bytes"] = models.MemoryBudgetBytes,
            ["loaded_models"] = new JsonArray([.. models.Loaded.Select(m => (JsonNode?)new JsonObject
            {
                ["name"] = Path.GetFileName(m.Path),
                ["kind"] = m.Variant,
                ["bytes"] = m.Bytes,
            })]),
        };
    }
}
