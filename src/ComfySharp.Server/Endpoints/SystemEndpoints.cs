using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using ComfySharp.Abstractions.Files;
using ComfySharp.Protocol;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/system_stats</c>, <c>/features</c>, <c>/extensions</c>, <c>/i18n</c> and the small frontend-support routes (API.md §10.4–10.6, §11.4, §12).</summary>
internal static class SystemEndpoints
{
    /// <summary>The reference version we mirror; clients compare it with their expectations.</summary>
    public const string ComfyUiVersion = "0.8.0";
    private const string RequiredFrontendVersion = "1.35.9";
    private const string RequiredTemplatesVersion = "0.7.67";

    public static void MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/system_stats", async (HttpContext context, ComfyServerOptions options) =>
        {
            JsonObject stats = SystemStats(options);
            if (context.RequestServices.GetService<ScaleOut.ClusterStats>() is { } cluster)
            {
                // An API node: the workers, their loaded models and load, after the reference's keys.
                await cluster.AddToAsync(stats, context.RequestAborted).ConfigureAwait(false);
            }
            return ComfyResults.Json(stats);
        });
        app.GetBoth("/features", (ComfyServerOptions options) => ComfyResults.Json(FeatureFlags.Build(options.MaxUploadSize, options.MaxUploadSizeExplicit)));
        app.GetBoth("/extensions", (ComfyServerOptions options) => ComfyResults.Json(ModelEndpoints.Strings(Extensions(options.FrontEndRoot))));
        app.GetBoth("/i18n", () => ComfyResults.Json(new JsonObject()));
        app.GetBoth("/workflow_templates", () => ComfyResults.Json(new JsonObject()));
        app.GetBoth("/global_subgraphs", () => ComfyResults.Json(new JsonObject()));
        app.GetBoth("/global_subgraphs/{id}", (string id) => ComfyResults.Json(new JsonObject()));
        app.GetOnly("/internal/files/{directory_type}", (string directory_type, ComfyDirectories dirs) =>
        {
            if (directory_type is not ("output" or "input" or "temp"))
            {
                return ComfyResults.Json(Messages.Error("Invalid directory type"), 400);
            }
            string dir = dirs.ForType(directory_type)!;
            // With --auth a user's outputs are their folder's files, named as LoadImageOutput loads them (u_NAME/x.png).
            string prefix = directory_type == "output" && ComfyDirectories.Scope is { } scope ? scope + "/" : "";
            dir = Path.Combine(dir, prefix);
            // Previews held in memory are files of the temp folder too.
            DeferredFileWrites.WriteAll(dir);
            IEnumerable<string> names = Directory.Exists(dir)
                ? new DirectoryInfo(dir).EnumerateFiles().Where(f => !f.Name.StartsWith('.')).OrderByDescending(f => f.LastWriteTimeUtc).Select(f => prefix + f.Name)
                : [];
            return ComfyResults.Json(ModelEndpoints.Strings(names));
        });
        app.GetOnly("/internal/logs", () => ComfyResults.Json(JsonValue.Create("")));
        app.GetOnly("/internal/logs/raw", () => ComfyResults.Json(new JsonObject { ["entries"] = new JsonArray(), ["size"] = new JsonObject { ["cols"] = 80, ["rows"] = 24 } }));
        app.MapMethods("/internal/logs/subscribe", ["PATCH"], () => ComfyResults.Empty());
    }

    private static JsonObject SystemStats(ComfyServerOptions options)
    {
        var (total, free) = Memory();
        var stats = new JsonObject
        {
            ["system"] = new JsonObject
            {
                ["os"] = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux",
                ["ram_total"] = total,
                ["ram_free"] = free,
                ["comfyui_version"] = ComfyUiVersion,
                ["required_frontend_version"] = RequiredFrontendVersion,
                ["installed_templates_version"] = null,
                ["required_templates_version"] = RequiredTemplatesVersion,
                ["python_version"] = $"ComfySharp on {RuntimeInformation.FrameworkDescription}",
                ["pytorch_version"] = "libtorch 2.10 (TorchSharp 0.107)",
                ["embedded_python"] = false,
                ["argv"] = ModelEndpoints.Strings(options.Argv),
            },
            ["devices"] = new JsonArray(new JsonObject
            {
                ["name"] = "cpu",
                ["type"] = "cpu",
                ["index"] = null,
                ["vram_total"] = total,
                ["vram_free"] = free,
                ["torch_vram_total"] = total,
                ["torch_vram_free"] = free,
            }),
        };
        if (options.ComputeReport?.Invoke() is { } report)
        {
            // Our addition after the reference's keys (clients read the keys they know): precision per model kind, loaded models.
            stats["comfysharp"] = report;
        }
        return stats;
    }

    internal static (long Total, long Free) Memory()
    {
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long free = total;
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], out long kb))
                {
                    if (parts[0] == "MemTotal:")
                    {
                        total = kb * 1024;
                    }
                    else if (parts[0] == "MemAvailable:")
                    {
                        free = kb * 1024;
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return (total, free);
    }

    private static List<string> Extensions(string? frontEndRoot)
    {
        if (frontEndRoot is null)
        {
            return [];
        }
        string dir = Path.Combine(frontEndRoot, "extensions");
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return Directory.EnumerateFiles(dir, "*.js", SearchOption.AllDirectories)
            .Select(f => "/extensions/" + Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
