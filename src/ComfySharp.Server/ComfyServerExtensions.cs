using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Engine.Execution;
using ComfySharp.Engine.Queue;
using ComfySharp.Engine.Validation;
using ComfySharp.Server.Endpoints;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using ComfySharp.Server.WebSockets;
using ComfySharp.Storage;
using ComfySharp.Storage.Postgres;
using ComfySharp.Server.ScaleOut;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server;

/// <summary>The server's entry points: <c>services.AddComfyServer(...)</c> and <c>app.MapComfyApi()</c>.</summary>
public static class ComfyServerExtensions
{
    /// <summary>
    /// Registers the server: options, directories, model folders, node registry, validator, executor,
    /// queue, history (SQLite unless <see cref="ComfyServerOptions.InMemoryStore"/>), the WebSocket hub
    /// as the execution message sink, and the queue worker. <see cref="IPromptChecker"/>,
    /// <see cref="IPromptRunner"/> and <see cref="IObjectInfoSource"/> registered before this call win.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Server options.</param>
    /// <param name="directories">input/output/temp/user directories.</param>
    /// <param name="modelFolders">Model folders.</param>
    /// <param name="registry">The node classes this server offers.</param>
    public static IServiceCollection AddComfyServer(this IServiceCollection services, ComfyServerOptions options, ComfyDirectories directories,
        ModelFolders modelFolders, NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.TryAddSingleton(new ServerOptions { DisableMetadata = options.DisableMetadata });
        services.AddSingleton(directories);
        services.AddSingleton(modelFolders);
        services.AddSingleton(registry);
        services.AddSingleton<ClientHub>();
        services.AddSingleton<ServiceMetrics>();
        services.AddSingleton<PromptEvents>();
        services.AddSingleton<IExecutionObserver>(sp => sp.GetRequiredService<ServiceMetrics>());
        services.AddSingleton<IExecutionObserver>(sp => sp.GetRequiredService<PromptEvents>());
        services.AddSingleton<IExecutionMessageSink>(sp => new ServiceSink(sp.GetRequiredService<ClientHub>(), sp.GetServices<IExecutionObserver>(), options.RequireAuth));
        bool postgres = PostgresAddress.IsPostgres(options.DatabasePath);
        // Users, keys and webhook deliveries stay in the node's SQLite file when the queue is in PostgreSQL.
        services.AddComfyService(options, options.DatabasePath is { Length: > 0 } db && !postgres ? db : Path.Combine(directories.User, "comfysharp.db"));
        if (options.Role != ServerRole.All && (!postgres || options.InMemoryStore))
        {
            throw new ArgumentException($"--role {options.Role.ToString().ToLowerInvariant()} needs a PostgreSQL --database (postgres://user@host:port/db).", nameof(options));
        }
        if (options.InMemoryStore)
        {
            services.AddSingleton<MemoryOnlyStore>();
            services.AddSingleton<IQueueStore>(sp => sp.GetRequiredService<MemoryOnlyStore>());
            services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<MemoryOnlyStore>());
        }
        else if (postgres)
        {
            string connectionString = PostgresAddress.ToConnectionString(options.DatabasePath!);
            services.AddSingleton(_ => new PostgresPromptStore(connectionString, shared: options.Role == ServerRole.Api));
            services.AddSingleton<IQueueStore>(sp => sp.GetRequiredService<PostgresPromptStore>());
            services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<PostgresPromptStore>());
            services.AddComfyScaleOut(options, connectionString);
        }
        else
        {
            string path = options.DatabasePath ?? Path.Combine(directories.User, "comfysharp.db");
            services.AddSingleton(_ => new SqlitePromptStore(path));
            services.AddSingleton<IQueueStore>(sp => sp.GetRequiredService<SqlitePromptStore>());
            services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<SqlitePromptStore>());
        }
        services.AddSingleton(sp => new PromptQueue(sp.GetRequiredService<IQueueStore>(), sp.GetRequiredService<IExecutionMessageSink>()));
        services.AddSingleton(sp => new PromptHistory(sp.GetRequiredService<IHistoryStore>()));
        services.AddSingleton(sp => new PromptValidator(registry, sp));
        services.AddSingleton(sp => new PromptExecutor(registry, sp, options.Cache));
        services.TryAddSingleton<IPromptChecker>(sp => new ValidatorChecker(sp.GetRequiredService<PromptValidator>()));
        services.TryAddSingleton<IPromptRunner>(sp => new ExecutorRunner(sp.GetRequiredService<PromptExecutor>()));
        // A scale-out worker runs the prompts of API nodes that may have --auth: it honours their file scopes too.
        if (options.RequireAuth || options.Role == ServerRole.Worker)
        {
            UserFilesRunner.Decorate(services);
        }
        services.TryAddSingleton<IObjectInfoSource>(sp => new RegistryObjectInfo(registry, sp));
        services.AddSingleton(sp => new QueueWorker(
            sp.GetRequiredService<PromptQueue>(),
            sp.GetRequiredService<PromptHistory>(),
            sp.GetRequiredService<IPromptRunner>(),
            sp.GetRequiredService<IExecutionMessageSink>(),
            new QueueWorkerOptions(
                options.PreviewMethod,
                options.UnloadModels,
                options.MaxExecutionSeconds is double seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null,
                WorkerFailureLog(sp))));
        if (options.Role == ServerRole.All)
        {
            services.AddHostedService<QueueWorkerService>();
        }
        return services;
    }

    private static Action<string, Exception> WorkerFailureLog(IServiceProvider services)
    {
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ComfySharp.QueueWorker");
        return (message, exception) => logger.LogError(exception, "{Message}", message);
    }

    /// <summary>Adds the middleware and maps every route of API.md and WEBSOCKET.md.</summary>
    public static WebApplication MapComfyApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ComfyServerOptions>();
        app.UseComfyMiddleware(options);
        if (options.RequireAuth)
        {
            app.UseApiKeyAuthentication();
        }
        app.UseWebSockets();
        if (options.FrontEndRoot is string root && Directory.Exists(root))
        {
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = new PhysicalFileProvider(Path.GetFullPath(root)) });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.GetFullPath(root)) });
        }
        app.UseRouting();
        app.MapWebSocketEndpoints();
        app.MapPromptEndpoints();
        app.MapQueueEndpoints();
        app.MapHistoryEndpoints();
        app.MapJobsEndpoints();
        app.MapFileEndpoints();
        app.MapModelEndpoints();
        app.MapSystemEndpoints();
        app.MapUserDataEndpoints();
        app.MapOperationsEndpoints();
        app.MapQueueControlEndpoints();
        app.MapEventsEndpoints();
        app.MapFrontendEndpoints();
        return app;
    }

    /// <summary>Starts the queue worker with the host and stops it (leaving a running prompt for recovery) on shutdown.</summary>
    private sealed class QueueWorkerService(QueueWorker worker) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            worker.Start();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => worker.DisposeAsync().AsTask();
    }
}
