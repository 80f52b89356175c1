using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
using ComfySharp.Server.ScaleOut;
using ComfySharp.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/queue</c>, <c>/interrupt</c>, <c>/free</c> (API.md §4, §7).</summary>
internal static class QueueEndpoints
{
    public static void MapQueueEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/queue", async (HttpContext context, PromptQueue queue) =>
        {
            if (ClusterQueueEndpoints.Of(context) is { } cluster)
            {
                return await ClusterQueueEndpoints.GetQueueAsync(context, cluster).ConfigureAwait(false);
            }
            var (running, pending) = queue.Snapshot();
            ServiceUser? user = ServiceUser.Of(context);
            if (running is not null && !PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(running)))
            {
                running = null;
            }
            var body = new JsonObject
            {
                ["queue_running"] = running is null ? new JsonArray() : new JsonArray(PromptQueue.Tuple(running)),
                ["queue_pending"] = new JsonArray(pending.Where(p => PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(p)))
                    .Select(p => (JsonNode?)PromptQueue.Tuple(p)).ToArray()),
            };
            if (queue.IsPaused)
            {
                // Only while paused (POST /api/queue/pause), so the reference's shape is unchanged otherwise.
                body["queue_paused"] = true;
            }
            return ComfyResults.Json(body);
        });
        app.PostBoth("/queue", async (HttpRequest request, PromptQueue queue) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            if (ClusterQueueEndpoints.Of(request.HttpContext) is { } cluster)
            {
                await ClusterQueueEndpoints.ClearOrDeleteAsync(request.HttpContext, cluster, queue, body).ConfigureAwait(false);
                return ComfyResults.Empty();
            }
            ServiceUser? user = ServiceUser.Of(request.HttpContext);
            if (ComfyRequest.IsTruthy(body["clear"]))
            {
                if (user is { IsAdmin: false })
                {
                    // A user's "clear" removes only their own pending prompts.
                    foreach (var p in queue.Snapshot().Pending.Where(p => PromptOwnership.OwnerOf(p) == user.Name))
                    {
                        queue.Delete(p.PromptId);
                    }
                }
                else
                {
                    queue.ClearPending();
                }
            }
            if (body["delete"] is JsonArray ids)
            {
                foreach (JsonNode? id in ids)
                {
                    if (id is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
                        && (user is null || queue.Find(v.GetValue<string>()) is not { } found || PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(found))))
                    {
                        queue.Delete(v.GetValue<string>());
                    }
                }
            }
            return ComfyResults.Empty();
        });
        app.PostBoth("/interrupt", async (HttpRequest request, QueueWorker worker, PromptQueue queue) =>
        {
            JsonNode? body = await ComfyRequest.TryReadJsonAsync(request).ConfigureAwait(false);
            string? promptId = body is JsonObject o && o["prompt_id"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? v.GetValue<string>() : null;
            if (ClusterQueueEndpoints.Of(request.HttpContext) is { } cluster)
            {
                await ClusterQueueEndpoints.InterruptAsync(request.HttpContext, cluster, string.IsNullOrEmpty(promptId) ? null : promptId).ConfigureAwait(false);
                return ComfyResults.Empty();
            }
            if (ServiceUser.Of(request.HttpContext) is { IsAdmin: false } user)
            {
                // A user interrupts only their own running prompt.
                string? running = worker.RunningPromptId;
                if (running is null || (promptId is not null && promptId != running)
                    || queue.Find(running) is not { } prompt || PromptOwnership.OwnerOf(prompt) != user.Name)
                {
                    return ComfyResults.Empty();
                }
                promptId = running;
            }
            worker.Interrupt(string.IsNullOrEmpty(promptId) ? null : promptId);
            return ComfyResults.Empty();
        });
        app.PostBoth("/free", async (HttpRequest request, QueueWorker worker) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            worker.RequestFree(ComfyRequest.IsTruthy(body["unload_models"]), ComfyRequest.IsTruthy(body["free_memory"]));
            return ComfyResults.Empty();
        });
    }
}
