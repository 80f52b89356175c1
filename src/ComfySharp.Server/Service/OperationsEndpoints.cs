using ComfySharp.Engine.Queue;
using ComfySharp.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Scalar.AspNetCore;

namespace ComfySharp.Server.Service;

/// <summary><c>/api/health</c> body.</summary>
/// <param name="Status">Always <c>ok</c>: the process answers.</param>
public sealed record HealthResponse(string Status);

/// <summary><c>/api/ready</c> body.</summary>
/// <param name="Ready">True when every check passed.</param>
/// <param name="Checks">Each check by name: <c>database</c>, <c>worker</c>, and those the host adds (<c>device</c>).</param>
public sealed record ReadyResponse(bool Ready, IReadOnlyDictionary<string, bool> Checks);

/// <summary>Operations routes: health, readiness, Prometheus metrics, the OpenAPI document and its reference page.</summary>
internal static class OperationsEndpoints
{
    /// <summary>Routes that answer without an API key (probes).</summary>
    public static readonly string[] AnonymousPaths = ["/api/health", "/api/ready"];

    public static void MapOperationsEndpoints(this WebApplication app)
    {
        app.MapGet("/api/health", () => TypedResults.Ok(new HealthResponse("ok")))
            .WithTags("Operations").WithSummary("The process is alive.");
        app.MapGet("/api/ready", Ready)
            .WithTags("Operations").WithSummary("Ready to serve: the database answers, the queue worker runs, the device is usable.");
        ServiceMetrics metrics = app.Services.GetRequiredService<ServiceMetrics>();
        // prometheus-net writes the exposition; mapped as a route handler (not MapMetrics' pipeline) so the OpenAPI document lists it.
        app.MapGet("/metrics", async (HttpContext context, CancellationToken cancellationToken) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
        }).WithTags("Operations").WithSummary("Prometheus text exposition of this server's metrics.").Produces(StatusCodes.Status200OK, contentType: "text/plain");
        app.MapOpenApi("/openapi.json");
        app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi.json").WithTitle("ComfySharp API"));
    }

    private static Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>> Ready(IServiceProvider services, QueueWorker worker, ComfyServerOptions options)
    {
        var checks = new SortedDictionary<string, bool>(StringComparer.Ordinal)
        {
            ["database"] = (services.GetService<SqlitePromptStore>() is not { } store || store.IsReachable())
                && (services.GetService<ComfySharp.Storage.Postgres.PostgresPromptStore>() is not { } shared || shared.IsReachable()),
            // API nodes and scale-out workers run no local queue worker (a worker's loop is ScaleOutWorkerService).
            ["worker"] = options.Role != ServerRole.All || worker.IsRunning,
        };
        foreach (var (name, check) in options.ReadinessChecks)
        {
            bool ok;
            try
            {
                ok = check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ok = false;
            }
            checks[name] = ok;
        }
        var body = new ReadyResponse(checks.Values.All(v => v), checks);
        return body.Ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
