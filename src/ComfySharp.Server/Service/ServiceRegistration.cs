using System.Text.Json;
using ComfySharp.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Service;

/// <summary>Registers the service features (OpenAPI, JSON naming of the new routes).</summary>
internal static class ServiceRegistration
{
    public static IServiceCollection AddComfyService(this IServiceCollection services, ComfyServerOptions options, string databasePath)
    {
        // Users, keys and webhook deliveries live in the SQLite file even with --in-memory (keys are made
        // before the server starts); the store opens the file only when first asked for.
        services.AddSingleton(new ServiceDatabase(databasePath));
        services.AddSingleton(_ => new SqliteAccountStore(databasePath));
        if (options.RequireAuth)
        {
            services.AddSingleton(sp => new ApiKeyAuthenticator(sp.GetRequiredService<SqliteAccountStore>()));
        }
        services.AddHostedService<WebhookDispatcher>();
        // The routes added here answer in the reference's snake_case, like every ComfyUI route.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi(o =>
        {
            o.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1;
            o.AddDocumentTransformer(ComfyOpenApi.DescribeAsync);
            o.AddOperationTransformer(ComfyOpenApi.DescribeOperationAsync);
        });
        return services;
    }
}
