using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>GET /</c>: the frontend's index.html from <c>--front-end-root</c>, or the built-in status page.</summary>
internal static class FrontendEndpoints
{
    private static readonly Lazy<byte[]> BuiltInPage = new(() =>
    {
        using Stream stream = typeof(FrontendEndpoints).Assembly.GetManifestResourceStream("ComfySharp.Server.Frontend.index.html")
            ?? throw new InvalidOperationException("The built-in page is missing from the assembly.");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    });

    public static void MapFrontendEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetOnly("/", (HttpResponse response, ComfyServerOptions options) =>
        {
            response.Headers.CacheControl = "no-cache";
            response.Headers.Pragma = "no-cache";
            response.Headers.Expires = "0";
            if (options.FrontEndRoot is string root && File.Exists(Path.Combine(root, "index.html")))
            {
                return Results.File(Path.Combine(root, "index.html"), "text/html");
            }
            return ComfyResults.Bytes(BuiltInPage.Value, "text/html; charset=utf-8");
        });
    }
}
