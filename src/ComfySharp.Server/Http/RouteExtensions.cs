using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Http;

/// <summary>Registers a route at its bare path and under <c>/api</c> (API.md §0.1).</summary>
internal static class RouteExtensions
{
    private static readonly string[] GetHead = ["GET", "HEAD"];
    private static readonly string[] Post = ["POST"];
    private static readonly string[] Delete = ["DELETE"];

    public static void GetBoth(this IEndpointRouteBuilder app, string pattern, Delegate handler) => app.Both(GetHead, pattern, handler);

    public static void PostBoth(this IEndpointRouteBuilder app, string pattern, Delegate handler) => app.Both(Post, pattern, handler);

    public static void DeleteBoth(this IEndpointRouteBuilder app, string pattern, Delegate handler) => app.Both(Delete, pattern, handler);

    public static void GetOnly(this IEndpointRouteBuilder app, string pattern, Delegate handler) => app.MapMethods(pattern, GetHead, handler);

    public static void Both(this IEndpointRouteBuilder app, string[] methods, string pattern, Delegate handler)
    {
        app.MapMethods(pattern, methods, handler);
        app.MapMethods("/api" + pattern, methods, handler);
    }
}
