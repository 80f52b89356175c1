using System.Text;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Nodes;
using ComfySharp.Nodes.Testing;
using ComfySharp.Protocol;
using ComfySharp.Server;
using ComfySharp.Torch.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComfySharp.TestKit;

/// <summary>Settings for <see cref="ComfyTestServer"/>.</summary>
public sealed class ComfyTestServerSettings
{
    /// <summary>Server options (a fresh default set per server unless given).</summary>
    public ComfyServerOptions Options { get; set; } = new();

    /// <summary>Register the conformance pack (TestingNodes) besides CoreNodes.</summary>
    public bool TestNodes { get; set; } = true;

    /// <summary>Base directory to use; a new temp directory when null.</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>Registrations made before the server's (stand-in validators or runners).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Changes to the model folders before the server starts (e.g. an extra checkpoints directory, as extra_model_paths.yaml adds).</summary>
    public Action<ModelFolders>? ConfigureModelFolders { get; set; }
}

/// <summary>
/// A real ComfySharp server in this process: Kestrel on 127.0.0.1 with a free port, over a temporary
/// base directory. Can be stopped and started again on the same directories (restart tests).
/// </summary>
public sealed class ComfyTestServer : IAsyncDisposable
{
    private readonly ComfyTestServerSettings _settings;
    private readonly bool _ownsDirectory;
    private WebApplication? _app;

    private ComfyTestServer(ComfyTestServerSettings settings)
    {
        _settings = settings;
        _ownsDirectory = settings.BaseDirectory is null;
        BaseDirectory = settings.BaseDirectory ?? TestPaths.NewTempDirectory("comfysharp-server");
        Directories = new ComfyDirectories(BaseDirectory);
    }

    /// <summary>The base directory (models/, input/, output/, temp/, user/).</summary>
    public string BaseDirectory { get; }

    /// <summary>The directories.</summary>
    public ComfyDirectories Directories { get; }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>A client for <see cref="BaseAddress"/>.</summary>
    public HttpClient Http { get; private set; } = new();

    /// <summary>The running application's services.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server is stopped.");

    /// <summary>Starts a server.</summary>
    public static async Task<ComfyTestServer> StartAsync(Action<ComfyTestServerSettings>? configure = null)
    {
        var settings = new ComfyTestServerSettings();
        configure?.Invoke(settings);
        var server = new ComfyTestServer(settings);
        await server.StartAppAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Stops the server (a prompt still running stays recorded as running) and starts it again on the same directories.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAppAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server, keeping the directories.</summary>
    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }
        Http.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    /// <summary>Opens <c>/ws</c> (optionally with a clientId).</summary>
    public Task<ComfyWebSocketClient> ConnectAsync(string? clientId = null, string path = "ws") =>
        ComfyWebSocketClient.ConnectAsync(new Uri(BaseAddress, clientId is null ? path : $"{path}?clientId={Uri.EscapeDataString(clientId)}"));

    /// <summary>POSTs JSON (any node) and returns the response.</summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode body) =>
        Http.PostAsync(path, new StringContent(PythonJson.Serialize(body), Encoding.UTF8, "application/json"));

    /// <summary>GETs and parses JSON.</summary>
    public async Task<JsonNode?> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await Http.GetAsync(path).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return PythonJson.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }

    /// <summary>Stops the server and deletes the temporary directory it created.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(BaseDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task StartAppAsync()
    {
        var registry = new NodeRegistry().AddPack(new CoreNodes());
        if (_settings.TestNodes)
        {
            registry.AddPack(new TestingNodes());
        }
        var modelFolders = new ModelFolders(Directories);
        _settings.ConfigureModelFolders?.Invoke(modelFolders);
        _app = ComfyServerApp.Create(new ComfyServerSetup
        {
            Options = _settings.Options,
            Directories = Directories,
            ModelFolders = modelFolders,
            Registry = registry,
            Urls = ["http://127.0.0.1:0"],
            ConfigureServices = services =>
            {
                // Loaders share one model manager, as in the host; CPU only in tests.
                services.AddSingleton(new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu }));
                _settings.ConfigureServices?.Invoke(services);
            },
            MinimumLogLevel = LogLevel.Warning,
        });
        await _app.StartAsync().ConfigureAwait(false);
        BaseAddress = new Uri(_app.Urls.First().TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Polls until <paramref name="condition"/> holds (no timing assertions: only a generous upper bound).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        DateTime end = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException("The condition did not become true.");
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a JSON reply body as a node.</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return PythonJson.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
    }
}
