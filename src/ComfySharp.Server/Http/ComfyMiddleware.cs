using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ComfySharp.Server.Http;

/// <summary>The middleware of API.md §0.2 and §1: error bodies, cache headers, origin guard or CORS, body limit.</summary>
internal static class ComfyMiddleware
{
    public const string InternalErrorBody = "500 Internal Server Error\n\nServer got itself in trouble";
    private const string NotFoundBody = "404: Not Found";
    private const string MethodNotAllowedBody = "405: Method Not Allowed";

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    public static void UseComfyMiddleware(this WebApplication app, ComfyServerOptions options)
    {
        ILogger logger = app.Logger;
        app.Use((context, next) => ErrorBodiesAsync(context, next, logger));
        app.Use(CacheHeadersAsync);
        if (options.CorsOrigin is string origin)
        {
            app.Use((context, next) => CorsAsync(context, next, origin));
        }
        else
        {
            app.Use(SameOriginGuardAsync);
        }
        app.Use((context, next) => BodyLimitAsync(context, next, options.MaxUploadSize));
    }

    private static async Task ErrorBodiesAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            long limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0;
            await WriteTextAsync(context, 413, $"Maximum request body size {limit} exceeded, actual body size {context.Request.ContentLength ?? limit + 1}").ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is RequestRejectedException or BadRequestBodyException && !context.Response.HasStarted)
        {
            // A body of the wrong shape or outside the limits is the client's error: 400, never 500 (issue 22).
            await ComfyResults.Json(RequestRejectedException.Body(ex.Message), 400).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(ex, "Error handling {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Headers.Clear();
            await WriteTextAsync(context, 500, InternalErrorBody).ConfigureAwait(false);
            return;
        }
        if (context.Response.HasStarted)
        {
            return;
        }
        if (context.Response.StatusCode == 404 && context.GetEndpoint() is null)
        {
            await WriteTextAsync(context, 404, NotFoundBody).ConfigureAwait(false);
        }
        else if (context.Response.StatusCode == 405)
        {
            context.Response.Headers.Allow = context.Response.Headers.Allow.ToString().Replace(" ", "", StringComparison.Ordinal);
            await WriteTextAsync(context, 405, MethodNotAllowedBody).ConfigureAwait(false);
        }
    }

    private static Task CacheHeadersAsync(HttpContext context, RequestDelegate next)
    {
        string path = context.Request.Path.Value ?? "";
        context.Response.OnStarting(() =>
        {
            HttpResponse response = context.Response;
            if (response.Headers.ContainsKey("Cache-Control"))
            {
                return Task.CompletedTask;
            }
            string last = path[(path.LastIndexOf('/') + 1)..];
            if (path.EndsWith(".js", StringComparison.Ordinal) || path.EndsWith(".css", StringComparison.Ordinal)
                || (last.StartsWith("index", StringComparison.Ordinal) && last.EndsWith(".json", StringComparison.Ordinal)))
            {
                response.Headers.CacheControl = "no-cache";
            }
            else if (ImageExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            {
                int s = response.StatusCode;
                if (s == 404)
                {
                    response.Headers.CacheControl = "public, max-age=3600";
                }
                else if (s is (>= 200 and <= 206) or 301 or 308)
                {
                    response.Headers.CacheControl = "public, max-age=86400";
                }
                else if (s is 302 or 303 or 307)
                {
                    response.Headers.CacheControl = "no-cache";
                }
            }
            return Task.CompletedTask;
        });
        return next(context);
    }

    private static async Task CorsAsync(HttpContext context, RequestDelegate next, string origin)
    {
        context.Response.OnStarting(() =>
        {
            IHeaderDictionary h = context.Response.Headers;
            h.AccessControlAllowOrigin = origin;
            h.AccessControlAllowMethods = "POST, GET, DELETE, PUT, OPTIONS, PATCH";
            h.AccessControlAllowHeaders = "Content-Type, Authorization";
            h.AccessControlAllowCredentials = "true";
            return Task.CompletedTask;
        });
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            await WriteEmptyAsync(context, 200).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private static async Task SameOriginGuardAsync(HttpContext context, RequestDelegate next)
    {
        if (IsCrossOriginToLoopback(context.Request.Headers.Host.ToString(), context.Request.Headers.Origin.ToString()))
        {
            await WriteEmptyAsync(context, 403).ConfigureAwait(false);
            return;
        }
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            await WriteEmptyAsync(context, 200).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>The reference's same-origin rule (API.md §1.2).</summary>
    internal static bool IsCrossOriginToLoopback(string hostHeader, string originHeader)
    {
        if (string.IsNullOrEmpty(hostHeader) || string.IsNullOrEmpty(originHeader))
        {
            return false;
        }
        string host = hostHeader.ToLowerInvariant();
        // Python's urlparse(origin).netloc: between "://" and the next "/"; a "null" origin has none.
        int scheme = originHeader.IndexOf("://", StringComparison.Ordinal);
        string origin = scheme >= 0 ? originHeader[(scheme + 3)..] : "";
        int slash = origin.IndexOf('/', StringComparison.Ordinal);
        origin = (slash >= 0 ? origin[..slash] : origin).ToLowerInvariant();
        var (hostName, hostPort) = SplitHostPort(host);
        bool originHasPort = SplitHostPort(origin).Port is not null;
        if (!originHasPort)
        {
            host = hostName;
        }
        else if (hostPort is null)
        {
            origin = SplitHostPort(origin).Name;
        }
        if (!IsLoopback(hostName))
        {
            return false;
        }
        return host.Length > 0 && origin.Length > 0 && host != origin;
    }

    private static (string Name, string? Port) SplitHostPort(string hostPort)
    {
        if (hostPort.StartsWith('['))
        {
            int end = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (end > 0)
            {
                string name = hostPort[..(end + 1)];
                return hostPort.Length > end + 2 && hostPort[end + 1] == ':' ? (name, hostPort[(end + 2)..]) : (name, null);
            }
        }
        int colon = hostPort.LastIndexOf(':');
        return colon >= 0 && hostPort.IndexOf(':', StringComparison.Ordinal) == colon ? (hostPort[..colon], hostPort[(colon + 1)..]) : (hostPort, null);
    }

    private static bool IsLoopback(string hostName)
    {
        string bare = hostName.Trim('[', ']');
        if (IPAddress.TryParse(bare, out IPAddress? ip))
        {
            return IPAddress.IsLoopback(ip);
        }
        if (bare.Length == 0)
        {
            return false;
        }
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(bare);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task BodyLimitAsync(HttpContext context, RequestDelegate next, long limit)
    {
        long? length = context.Request.ContentLength;
        if (length > limit)
        {
            await WriteTextAsync(context, 413, $"Maximum request body size {limit} exceeded, actual body size {length}").ConfigureAwait(false);
            return;
        }
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }
        await next(context).ConfigureAwait(false);
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body).ConfigureAwait(false);
        }
    }

    private static Task WriteEmptyAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
