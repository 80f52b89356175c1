using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Service;

/// <summary><c>GET /api/events</c>: the <c>/ws</c> JSON messages as Server-Sent Events, for clients behind proxies that drop WebSockets.</summary>
internal static class EventsEndpoints
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", StreamAsync).WithTags("Events")
            .WithSummary("Server-Sent Events: each event is named after the message type and carries the /ws envelope; ?prompt_id= narrows to one prompt. With authentication, only the caller's prompts (admins: all).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    private static async Task StreamAsync(HttpContext context, PromptEvents events, CancellationToken cancellationToken)
    {
        string? promptId = context.Request.Query["prompt_id"].ToString() is { Length: > 0 } id ? id : null;
        using PromptEvents.Subscription subscription = events.Subscribe(promptId, ServiceUser.Of(context));
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync(": connected\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                beat.CancelAfter(Heartbeat);
                bool more;
                try
                {
                    more = await subscription.Reader.WaitToReadAsync(beat.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (!more)
                {
                    return;
                }
                text.Clear();
                while (subscription.Reader.TryRead(out ServiceEvent? message))
                {
                    text.Append("event: ").Append(message.Type).Append("\ndata: ").Append(message.Envelope).Append("\n\n");
                }
                await response.WriteAsync(text.ToString(), cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
