using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.Service;
using ComfySharp.Server.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/ws</c> and <c>/api/ws</c> (WEBSOCKET.md).</summary>
internal static class WebSocketEndpoints
{
    public static void MapWebSocketEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/ws", ["GET"], ServeAsync);
        app.MapMethods("/api/ws", ["GET"], ServeAsync);
    }

    private static async Task ServeAsync(HttpContext context, ClientHub hub, PromptQueue queue, IPromptRunner runner, ComfyServerOptions options)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Expected a WebSocket upgrade", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        string? clientId = context.Request.Query["clientId"];
        if (ServiceUser.Of(context) is { } user)
        {
            // With authentication, a socket's id lives in its user's namespace (see ApiKeyAuthentication.ScopedClientId).
            clientId = ApiKeyAuthentication.ScopedClientId(user, string.IsNullOrEmpty(clientId) ? Guid.NewGuid().ToString("N") : clientId);
        }
        await hub.ServeAsync(socket, clientId, queue.Remaining, runner.Current,
            FeatureFlags.Build(options.MaxUploadSize, options.MaxUploadSizeExplicit), context.RequestAborted).ConfigureAwait(false);
    }
}
