using ComfySharp.Server.Frontend;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary>
/// <c>GET /</c>: the built-in web UI, or the frontend's index.html from <c>--front-end-root</c>. The built-in UI is
/// also served at <c>/comfysharp/</c> (its bundle files live there), so it stays reachable beside another frontend.
/// </summary>
internal static class FrontendEndpoints
{
    public static void MapFrontendEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetOnly("/", (HttpContext context, ComfyServerOptions options) =>
        {
            NoCache(context.Response);
            if (options.FrontEndRoot is string root && File.Exists(Path.Combine(root, "index.html")))
            {
                return Results.File(Path.Combine(root, "index.html"), "text/html");
            }
            return Serve(context, WebUiAssets.RootIndex);
        });
        // Routing matches "/comfysharp" and "/comfysharp/" alike; the page needs the slash for its relative asset paths.
        app.GetOnly("/" + WebUiAssets.Folder, (HttpContext context) =>
        {
            if (!context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect($"{context.Request.PathBase}/{WebUiAssets.Folder}/{context.Request.QueryString}");
            }
            NoCache(context.Response);
            return Serve(context, WebUiAssets.FolderIndex);
        });
        app.GetOnly("/" + WebUiAssets.Folder + "/{file}", (HttpContext context, string file) =>
            WebUiAssets.Find(file) is { } asset ? Serve(context, asset) : Results.NotFound());
    }

    private static void NoCache(HttpResponse response)
    {
        response.Headers.CacheControl = "no-cache";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "0";
    }

    /// <summary>The asset, revalidated by ETag (304 when unchanged) and gzipped when the client accepts it.</summary>
    private static IResult Serve(HttpContext context, WebUiAsset asset)
    {
        HttpResponse response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.Vary = "Accept-Encoding";
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        if (context.Request.Headers.AcceptEncoding.Any(v => v is not null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase)))
        {
            response.Headers.ContentEncoding = "gzip";
            return ComfyResults.Bytes(asset.Gzipped, asset.ContentType);
        }
        return ComfyResults.Bytes(asset.Content, asset.ContentType);
    }
}
