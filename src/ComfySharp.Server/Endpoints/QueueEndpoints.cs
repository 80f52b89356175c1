using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/queue</c>, <c>/interrupt</c>, <c>/free</c> (API.md §4, §7).</summary>
internal static class QueueEndpoints
{
    public static void MapQueueEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/queue", (PromptQueue queue) =>
        {
            var (running, pending) = queue.Snapshot();
            return ComfyResults.Json(new JsonObject
            {
                ["queue_running"] = running is null ? new JsonArray() : new JsonArray(PromptQueue.Tuple(running)),
                ["queue_pending"] = new JsonArray(pending.Select(p => (JsonNode?)PromptQueue.Tuple(p)).ToArray()),
            });
        });
        app.PostBoth("/queue", async (HttpRequest request, PromptQueue queue) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            if (ComfyRequest.IsTruthy(body["clear"]))
            {
                queue.ClearPending();
            }
            if (body["delete"] is JsonArray ids)
            {
                foreach (JsonNode? id in ids)
                {
                    if (id is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        queue.Delete(v.GetValue<string>());
                    }
                }
            }
            return ComfyResults.Empty();
        });
        app.PostBoth("/interrupt", async (HttpRequest request, QueueWorker worker) =>
        {
            JsonNode? body = await ComfyRequest.TryReadJsonAsync(request).ConfigureAwait(false);
            string? promptId = body is JsonObject o && o["prompt_id"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? v.GetValue<string>() : null;
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
