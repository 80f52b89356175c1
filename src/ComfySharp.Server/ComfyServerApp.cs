using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Server.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server;

/// <summary>Everything needed to build a server process (the host) or an in-process server (tests).</summary>
public sealed class ComfyServerSetup
{
    /// <summary>Server options.</summary>
    public required ComfyServerOptions Options { get; init; }
    /// <summary>Directories.</summary>
    public required ComfyDirectories Directories { get; init; }
    /// <summary>Model folders.</summary>
    public required ModelFolders ModelFolders { get; init; }
    /// <summary>Node classes.</summary>
    public required NodeRegistry Registry { get; init; }
    /// <summary>Addresses to listen on (<c>http://127.0.0.1:0</c> picks a free port).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8188"];
    /// <summary>Registrations made before the server's own (e.g. a stand-in <see cref="IPromptChecker"/>).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
    /// <summary>Log level.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;
}

/// <summary>Builds the ComfySharp web application on Kestrel.</summary>
public static class ComfyServerApp
{
    /// <summary>Creates (but does not start) the application: directories prepared, services registered, routes mapped.</summary>
    public static WebApplication Create(ComfyServerSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        DirectoryPreparation.Prepare(setup.Directories);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // The content root holds temp/ and output/: watching it for appsettings changes put a
            // recursive inotify watch on every preview file written (a whole thread busy under load).
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = setup.Directories.Base,
        });
        builder.WebHost.UseUrls([.. setup.Urls]);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = setup.Options.MaxUploadSize);
        builder.Logging.SetMinimumLevel(setup.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", setup.MinimumLogLevel <= LogLevel.Debug ? LogLevel.Information : LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        setup.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddComfyServer(setup.Options, setup.Directories, setup.ModelFolders, setup.Registry);
        WebApplication app = builder.Build();
        app.MapComfyApi();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            // Previews still only in memory are dropped with the folder; a write under way must land
            // first, or it would recreate its file in the emptied folder.
            DeferredFileWrites.DiscardUnwritten(setup.Directories.RootTemp, TimeSpan.FromSeconds(5));
            DirectoryPreparation.EmptyTemp(setup.Directories);
        });
        return app;
    }
}
