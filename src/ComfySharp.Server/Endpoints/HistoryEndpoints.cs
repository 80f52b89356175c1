using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/history</c> (API.md §5).</summary>
internal static class HistoryEndpoints
{
    public static void MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.GetBoth("/history", (HttpRequest request, PromptHistory history) =>
        {
            int? maxItems = ComfyRequest.ParseIntQuery(request, "max_items");
            int? offset = ComfyRequest.ParseIntQuery(request, "offset");
            if (ServiceUser.Of(request.HttpContext) is { IsAdmin: false } user)
            {
                return ComfyResults.Json(OwnPage(history, user, maxItems, offset));
            }
            return ComfyResults.Json(history.Page(maxItems, offset));
        });
        app.GetBoth("/history/{prompt_id}", (string prompt_id, HttpContext context, PromptHistory history) =>
        {
            JsonObject? entry = history.Get(prompt_id);
            if (!PromptOwnership.CanAccess(ServiceUser.Of(context), PromptOwnership.OwnerOfEntry(entry)))
            {
                entry = null;
            }
            return ComfyResults.Json(entry is null ? new JsonObject() : new JsonObject { [prompt_id] = entry });
        });
        app.PostBoth("/history", async (HttpRequest request, PromptHistory history) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            ServiceUser? user = ServiceUser.Of(request.HttpContext);
            if (ComfyRequest.IsTruthy(body["clear"]))
            {
                if (user is { IsAdmin: false })
                {
                    // A user's "clear" clears only their own entries.
                    foreach (var (id, entry) in history.All().Where(e => PromptOwnership.OwnerOfEntry(e.Entry) == user.Name))
                    {
                        history.Delete(id);
                    }
                }
                else
                {
                    history.Clear();
                }
            }
            if (body["delete"] is JsonArray ids)
            {
                foreach (JsonNode? id in ids)
                {
                    if (id is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
                        && PromptOwnership.CanAccess(user, PromptOwnership.OwnerOfEntry(history.Get(v.GetValue<string>()))))
                    {
                        history.Delete(v.GetValue<string>());
                    }
                }
            }
            return ComfyResults.Empty();
        });
    }

    // The reference's paging (newest max_items, or from offset) over this user's entries only.
    private static JsonObject OwnPage(PromptHistory history, ServiceUser user, int? maxItems, int? offset)
    {
        var own = history.All().Where(e => PromptOwnership.OwnerOfEntry(e.Entry) == user.Name).ToList();
        int start = offset ?? -1;
        if (start < 0)
        {
            start = maxItems is int m ? Math.Max(0, own.Count - m) : 0;
        }
        var result = new JsonObject();
        foreach (var (id, entry) in own.Skip(start).Take(maxItems is int max ? Math.Max(0, max) : int.MaxValue))
        {
            result[id] = entry;
        }
        return result;
    }
}
