using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Service;

/// <summary>The worker's state.</summary>
/// <param name="Paused">True while paused.</param>
/// <param name="Running">The running prompt's id, or null.</param>
/// <param name="Pending">Pending prompts (visible to the caller).</param>
public sealed record QueueState(bool Paused, string? Running, int Pending);

/// <summary>A prompt a cancel request reached.</summary>
/// <param name="PromptId">The prompt.</param>
/// <param name="State"><c>running</c> (interrupted) or <c>pending</c> (removed).</param>
public sealed record CancelledPrompt(string PromptId, string State);

/// <summary><c>POST /api/queue/{prompt_id}/cancel</c> answer.</summary>
/// <param name="Cancelled">What was cancelled (empty when the id is neither running nor pending).</param>
public sealed record CancelResponse(IReadOnlyList<CancelledPrompt> Cancelled);

/// <summary><c>POST /api/queue/{prompt_id}/front</c> answer.</summary>
/// <param name="PromptId">The prompt.</param>
/// <param name="Moved">True when it was pending and now comes first among its priority.</param>
public sealed record MoveResponse(string PromptId, bool Moved);

/// <summary>Queue control beyond the reference: pause/resume, state, cancel by id, move to front.</summary>
internal static class QueueControlEndpoints
{
    public static void MapQueueControlEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/api/queue").WithTags("Queue control");
        group.MapGet("/state", (HttpContext context, PromptQueue queue) => TypedResults.Ok(State(context, queue)))
            .WithSummary("Paused or not, the running prompt and the number pending.");
        group.MapPost("/pause", (HttpContext context, PromptQueue queue) => AdminOnly(context, () => queue.SetPaused(true), queue))
            .WithSummary("Stops starting prompts (the running one finishes). Admins only when authentication is on.");
        group.MapPost("/resume", (HttpContext context, PromptQueue queue) => AdminOnly(context, () => queue.SetPaused(false), queue))
            .WithSummary("Starts taking prompts again.");
        group.MapPost("/{prompt_id}/cancel", Cancel).WithSummary("Cancels a running (interrupt) or pending (remove) prompt by id.");
        group.MapPost("/{prompt_id}/front", Front).WithSummary("Moves a pending prompt ahead of the others of its priority.");
    }

    private static QueueState State(HttpContext context, PromptQueue queue)
    {
        ServiceUser? user = ServiceUser.Of(context);
        var (running, pending) = queue.Snapshot();
        string? runningId = running is not null && PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(running)) ? running.PromptId : null;
        return new QueueState(queue.IsPaused, runningId, pending.Count(p => PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(p))));
    }

    private static Results<Ok<QueueState>, StatusCodeHttpResult> AdminOnly(HttpContext context, Action action, PromptQueue queue)
    {
        if (ServiceUser.Of(context) is { IsAdmin: false })
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
        action();
        return TypedResults.Ok(State(context, queue));
    }

    private static async Task<Results<Ok<CancelResponse>, NotFound>> Cancel(string prompt_id, HttpContext context, PromptQueue queue, QueueWorker worker)
    {
        if (ScaleOut.ClusterQueueEndpoints.Of(context) is { } cluster)
        {
            return await ScaleOut.ClusterQueueEndpoints.CancelAsync(context, cluster, prompt_id).ConfigureAwait(false) is { } response
                ? TypedResults.Ok(response) : TypedResults.NotFound();
        }
        QueuedPrompt? prompt = queue.Find(prompt_id);
        if (prompt is null || !PromptOwnership.CanAccess(ServiceUser.Of(context), PromptOwnership.OwnerOf(prompt)))
        {
            return TypedResults.NotFound();
        }
        var cancelled = new List<CancelledPrompt>();
        if (queue.Delete(prompt_id))
        {
            cancelled.Add(new CancelledPrompt(prompt_id, "pending"));
        }
        else if (worker.RunningPromptId == prompt_id)
        {
            worker.Interrupt(prompt_id);
            cancelled.Add(new CancelledPrompt(prompt_id, "running"));
        }
        return TypedResults.Ok(new CancelResponse(cancelled));
    }

    private static Results<Ok<MoveResponse>, NotFound> Front(string prompt_id, HttpContext context, PromptQueue queue)
    {
        QueuedPrompt? prompt = queue.Find(prompt_id);
        if (prompt is null || !PromptOwnership.CanAccess(ServiceUser.Of(context), PromptOwnership.OwnerOf(prompt)))
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok(new MoveResponse(prompt_id, queue.MoveToFront(prompt_id)));
    }
}
