using ComfySharp.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.ScaleOut;

/// <summary>Registers what a PostgreSQL-backed process needs for its <see cref="ServerRole"/> (docs/scale-out.md).</summary>
internal static class ScaleOutRegistration
{
    public static IServiceCollection AddComfyScaleOut(this IServiceCollection services, ComfyServerOptions options, string connectionString)
    {
        var settings = new ScaleOutSettings(connectionString, options.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            TimeSpan.FromSeconds(options.LeaseSeconds), options.MaxAttempts, options.WorkerTags);
        services.AddSingleton(settings);
        switch (options.Role)
        {
            case ServerRole.Api:
                services.AddSingleton(sp => new ClusterQueue(sp.GetRequiredService<PostgresPromptStore>().DataSource));
                services.AddSingleton(sp => new WorkerRegistry(sp.GetRequiredService<PostgresPromptStore>().DataSource));
                services.AddSingleton<ClusterAdmission>();
                services.AddSingleton(sp => new ClusterStats(sp.GetRequiredService<WorkerRegistry>(), sp.GetRequiredService<ClusterQueue>(), settings,
                    sp.GetRequiredService<Service.ServiceMetrics>().Registry));
                services.AddHostedService<ApiRelayService>();
                break;
            case ServerRole.Worker:
                services.AddHostedService<ScaleOutWorkerService>();
                break;
            case ServerRole.All:
                break;
        }
        return services;
    }

    /// <summary>A failure logger for the scale-out services.</summary>
    public static Action<string, Exception> FailureLog(ILogger logger) => (message, exception) =>
    {
        if (exception is TimeoutException)
        {
            logger.LogWarning("{Message}", message);
        }
        else
        {
            logger.LogError(exception, "{Message}", message);
        }
    };
}
