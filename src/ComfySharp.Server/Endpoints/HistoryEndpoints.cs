using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Server.Http;
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
            return ComfyResults.Json(history.Page(maxItems, offset));
        });
        app.GetBoth("/history/{prompt_id}", (string prompt_id, PromptHistory history) =>
        {
            JsonObject? entry = history.Get(prompt_id);
            return ComfyResults.Json(entry is null ? new JsonObject() : new JsonObject { [prompt_id] = entry });
        });
        app.PostBoth("/history", async (HttpRequest request, PromptHistory history) =>
        {
            JsonObject body = await ComfyRequest.ReadJsonObjectAsync(request).ConfigureAwait(false);
            if (ComfyRequest.IsTruthy(body["clear"]))
            {
                history.Clear();
            }
            if (body["delete"] is JsonArray ids)
            {
                foreach (JsonNode? id in ids)
                {
                    if (id is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        history.Delete(v.GetValue<string>());
                    }
                }
            }
            return ComfyResults.Empty();
        });
    }
}
