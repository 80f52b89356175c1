using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using ComfySharp.Storage.Postgres;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.ScaleOut;

/// <summary>
/// <c>/queue</c>, <c>/interrupt</c> and cancel on an API node (<c>--role api</c>): the whole deployment's
/// queue from the database, whichever node accepted a prompt; interrupts reach the worker running it.
/// </summary>
internal static class ClusterQueueEndpoints
{
    /// <summary>The key of <c>GET /queue</c>'s addition on an API node: the worker running each running prompt.</summary>
    public const string RunningWorkersKey = "running_workers";

    /// <summary>The cluster view when this process is an API node; null otherwise.</summary>
    public static ClusterQueue? Of(HttpContext context) => context.RequestServices.GetService<ClusterQueue>();

    /// <summary><c>GET /queue</c>: every running prompt (with its worker) and every pending prompt, in the order workers take them.</summary>
    public static async Task<IResult> GetQueueAsync(HttpContext context, ClusterQueue cluster)
    {
        var (running, pending) = await cluster.SnapshotAsync(context.RequestAborted).ConfigureAwait(false);
        ServiceUser? user = ServiceUser.Of(context);
        bool Visible(ClusterQueueItem item) => PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(item.Prompt));
        var workers = new JsonObject();
        foreach (ClusterQueueItem item in running.Where(Visible))
        {
            workers[item.Prompt.PromptId] = item.Worker;
        }
        return ComfyResults.Json(new JsonObject
        {
            ["queue_running"] = new JsonArray(running.Where(Visible).Select(i => (JsonNode?)PromptQueue.Tuple(i.Prompt)).ToArray()),
            ["queue_pending"] = new JsonArray(pending.Where(Visible).Select(i => (JsonNode?)PromptQueue.Tuple(i.Prompt)).ToArray()),
            [RunningWorkersKey] = workers,
        });
    }

    /// <summary><c>POST /queue</c> <c>clear</c> / <c>delete</c>: pending prompts leave the shared queue (a running one is untouched, as in the reference).</summary>
    public static async Task ClearOrDeleteAsync(HttpContext context, ClusterQueue cluster, PromptQueue local, JsonObject body)
    {
        CancellationToken token = context.RequestAborted;
        ServiceUser? user = ServiceUser.Of(context);
        if (ComfyRequest.IsTruthy(body["clear"]))
        {
            if (user is { IsAdmin: false })
            {
                var (_, pending) = await cluster.SnapshotAsync(token).ConfigureAwait(false);
                foreach (ClusterQueueItem item in pending.Where(p => PromptOwnership.OwnerOf(p.Prompt) == user.Name))
                {
                    await cluster.DeletePendingAsync(item.Prompt.PromptId, token).ConfigureAwait(false);
                }
            }
            else
            {
                await cluster.ClearPendingAsync(token).ConfigureAwait(false);
            }
        }
        if (body["delete"] is JsonArray ids)
        {
            foreach (JsonNode? id in ids)
            {
                if (id is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && (user is null || await cluster.FindAsync(v.GetValue<string>(), token).ConfigureAwait(false) is not { } found
                        || PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(found.Prompt))))
                {
                    await cluster.DeletePendingAsync(v.GetValue<string>(), token).ConfigureAwait(false);
                    local.Delete(v.GetValue<string>());
                }
            }
        }
    }

    /// <summary><c>POST /interrupt</c>: the workers interrupt the prompt (or, without an id, whatever they run; a user: only their own).</summary>
    public static async Task InterruptAsync(HttpContext context, ClusterQueue cluster, string? promptId)
    {
        CancellationToken token = context.RequestAborted;
        if (ServiceUser.Of(context) is { IsAdmin: false } user)
        {
            var (running, _) = await cluster.SnapshotAsync(token).ConfigureAwait(false);
            foreach (ClusterQueueItem item in running.Where(r => PromptOwnership.OwnerOf(r.Prompt) == user.Name && (promptId is null || r.Prompt.PromptId == promptId)))
            {
                await cluster.InterruptAsync(item.Prompt.PromptId, token).ConfigureAwait(false);
            }
            return;
        }
        await cluster.InterruptAsync(promptId, token).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/queue/{prompt_id}/cancel</c>: a pending prompt is removed, a running one interrupted on its worker; null when not queued (or not the caller's).</summary>
    public static async Task<CancelResponse?> CancelAsync(HttpContext context, ClusterQueue cluster, string promptId)
    {
        CancellationToken token = context.RequestAborted;
        if (await cluster.FindAsync(promptId, token).ConfigureAwait(false) is not { } item
            || !PromptOwnership.CanAccess(ServiceUser.Of(context), PromptOwnership.OwnerOf(item.Prompt)))
        {
            return null;
        }
        var cancelled = new List<CancelledPrompt>();
        if (await cluster.DeletePendingAsync(promptId, token).ConfigureAwait(false))
        {
            cancelled.Add(new CancelledPrompt(promptId, "pending"));
        }
        else if (await cluster.FindAsync(promptId, token).ConfigureAwait(false) is { Worker: not null })
        {
            await cluster.InterruptAsync(promptId, token).ConfigureAwait(false);
            cancelled.Add(new CancelledPrompt(promptId, "running"));
        }
        return new CancelResponse(cancelled);
    }
}
