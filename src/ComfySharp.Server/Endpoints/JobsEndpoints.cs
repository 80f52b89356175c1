using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Queue;
using ComfySharp.Protocol;
using ComfySharp.Server.Http;
using ComfySharp.Server.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ComfySharp.Server.Endpoints;

/// <summary><c>/api/jobs</c> (API.md §6): only under <c>/api</c> (and <c>/api/api</c>), never bare.</summary>
internal static class JobsEndpoints
{
    private static readonly string[] ValidStatuses = ["pending", "in_progress", "completed", "failed"];
    private static readonly string[] PreviewExtensions = [".obj", ".fbx", ".gltf", ".glb"];

    public static void MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (string prefix in new[] { "/api", "/api/api" })
        {
            app.GetOnly(prefix + "/jobs", ListJobs);
            app.GetOnly(prefix + "/jobs/{job_id}", GetJob);
        }
    }

    private static IResult ListJobs(HttpRequest request, PromptQueue queue, PromptHistory history)
    {
        HashSet<string>? statuses = null;
        if (request.Query["status"].ToString() is { Length: > 0 } statusText)
        {
            var wanted = statusText.Split(',').Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0).ToList();
            var bad = wanted.Where(s => !ValidStatuses.Contains(s)).ToList();
            if (bad.Count > 0)
            {
                return Bad($"Invalid status value(s): {string.Join(", ", bad)}. Valid values: pending, in_progress, completed, failed");
            }
            statuses = [.. wanted];
        }
        string? workflowId = request.Query["workflow_id"];
        string sortBy = (request.Query["sort_by"].ToString() is { Length: > 0 } sb ? sb : "created_at").ToLowerInvariant();
        if (sortBy is not ("created_at" or "execution_duration"))
        {
            return Bad("sort_by must be 'created_at' or 'execution_duration'");
        }
        string sortOrder = (request.Query["sort_order"].ToString() is { Length: > 0 } so ? so : "desc").ToLowerInvariant();
        if (sortOrder is not ("asc" or "desc"))
        {
            return Bad("sort_order must be 'asc' or 'desc'");
        }
        int? limit = null;
        if (request.Query["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!int.TryParse(limitText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int l))
            {
                return Bad("limit must be an integer");
            }
            if (l <= 0)
            {
                return Bad("limit must be a positive integer");
            }
            limit = l;
        }
        int offset = 0;
        if (request.Query["offset"].ToString() is { Length: > 0 } offsetText)
        {
            if (!int.TryParse(offsetText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out offset))
            {
                return Bad("offset must be an integer");
            }
            offset = Math.Max(0, offset);
        }

        var jobs = new List<JsonObject>();
        ServiceUser? user = ServiceUser.Of(request.HttpContext);
        var (running, pending) = queue.Snapshot();
        if (running is not null && PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(running)))
        {
            jobs.Add(Summary(PromptQueue.Tuple(running), "in_progress", null));
        }
        jobs.AddRange(pending.Where(p => PromptOwnership.CanAccess(user, PromptOwnership.OwnerOf(p))).Select(p => Summary(PromptQueue.Tuple(p), "pending", null)));
        foreach (var (_, entry) in history.All())
        {
            // An entry without its prompt tuple (damaged in storage) is left out rather than failing the listing.
            if (entry["prompt"] is JsonArray { Count: >= 4 } tuple && PromptOwnership.CanAccess(user, PromptOwnership.OwnerOfEntry(entry)))
            {
                jobs.Add(Summary(tuple, HistoryStatus(entry), entry));
            }
        }
        IEnumerable<JsonObject> filtered = jobs
            .Where(j => statuses is null || statuses.Contains((string)j["status"]!))
            .Where(j => workflowId is null || (j["workflow_id"] is JsonValue w && w.GetValueKind() == JsonValueKind.String && w.GetValue<string>() == workflowId));
        Func<JsonObject, double> key = sortBy == "created_at" ? j => Number(j["create_time"]) : Duration;
        List<JsonObject> sorted = (sortOrder == "desc" ? filtered.OrderByDescending(key) : filtered.OrderBy(key)).ToList();
        int total = sorted.Count;
        List<JsonObject> page = sorted.Skip(offset).Take(limit ?? int.MaxValue).ToList();
        return ComfyResults.Json(new JsonObject
        {
            ["jobs"] = new JsonArray(page.Select(j => (JsonNode?)j).ToArray()),
            ["pagination"] = JsonSerializer.SerializeToNode(new Pagination(offset, limit, total, offset + page.Count < total), ProtocolJsonContext.Default.Pagination),
        });
    }

    private static IResult GetJob(string job_id, HttpContext context, PromptQueue queue, PromptHistory history)
    {
        ServiceUser? user = ServiceUser.Of(context);
        if (user is not null && !PromptOwnership.CanAccess(user, history.Get(job_id) is JsonObject owned
            ? PromptOwnership.OwnerOfEntry(owned) : queue.Find(job_id) is { } queued ? PromptOwnership.OwnerOf(queued) : user.Name))
        {
            return ComfyResults.Json(Messages.Error("Job not found"), 404);
        }
        if (history.Get(job_id) is JsonObject entry && entry["prompt"] is JsonArray { Count: >= 4 } tuple)
        {
            JsonObject job = Summary(tuple, HistoryStatus(entry), entry);
            job["outputs"] = entry["outputs"]?.DeepClone();
            job["execution_status"] = entry["status"]?.DeepClone();
            job["workflow"] = new JsonObject { ["prompt"] = tuple[2]?.DeepClone(), ["extra_data"] = tuple[3]?.DeepClone() };
            return ComfyResults.Json(job);
        }
        var (running, pending) = queue.Snapshot();
        if (running is not null && running.PromptId == job_id)
        {
            return ComfyResults.Json(Summary(PromptQueue.Tuple(running), "in_progress", null));
        }
        if (pending.FirstOrDefault(p => p.PromptId == job_id) is { } item)
        {
            return ComfyResults.Json(Summary(PromptQueue.Tuple(item), "pending", null));
        }
        return ComfyResults.Json(Messages.Error("Job not found"), 404);
    }

    private static string HistoryStatus(JsonObject entry) =>
        Member(Member(entry, "status"), "status_str") is JsonValue s && s.GetValueKind() == JsonValueKind.String && s.GetValue<string>() == "error" ? "failed" : "completed";

    private static JsonObject Summary(JsonArray tuple, string status, JsonObject? entry)
    {
        var extra = tuple[3] as JsonObject;
        var job = new JsonObject
        {
            ["id"] = tuple[1]?.DeepClone(),
            ["status"] = status,
            ["priority"] = tuple[0]?.DeepClone(),
        };
        AddIfNotNull(job, "create_time", Member(extra, "create_time"));
        if (entry is not null)
        {
            JsonArray messages = Member(Member(entry, "status"), "messages") as JsonArray ?? [];
            JsonNode? start = null, end = null, error = null;
            foreach (JsonNode? m in messages)
            {
                if (m is not JsonArray pair || pair.Count < 2)
                {
                    continue;
                }
                string? type = pair[0] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
                if (type == "execution_start")
                {
                    start = Member(pair[1], "timestamp");
                }
                else if (type is "execution_success" or "execution_error" or "execution_interrupted")
                {
                    end = Member(pair[1], "timestamp");
                    if (type == "execution_error")
                    {
                        error = pair[1];
                    }
                }
            }
            AddIfNotNull(job, "execution_start_time", start);
            AddIfNotNull(job, "execution_end_time", end);
            if (status == "failed")
            {
                AddIfNotNull(job, "execution_error", error);
            }
            var outputs = entry["outputs"] as JsonObject ?? [];
            job["outputs_count"] = CountOutputs(outputs);
            AddIfNotNull(job, "preview_output", PreviewOutput(outputs));
        }
        else
        {
            job["outputs_count"] = 0;
        }
        // Member() rather than the indexer: extra_data is the client's, and an indexer on a non-object throws.
        AddIfNotNull(job, "workflow_id", Member(Member(Member(extra, "extra_pnginfo"), "workflow"), "id"));
        return job;
    }

    private static int CountOutputs(JsonObject outputs)
    {
        int count = 0;
        foreach (var (_, ui) in outputs)
        {
            if (ui is not JsonObject keys)
            {
                continue;
            }
            foreach (var (name, value) in keys)
            {
                if (name != "animated" && value is JsonArray items)
                {
                    count += items.Count(i => i is JsonObject);
                }
            }
        }
        return count;
    }

    private static JsonObject? PreviewOutput(JsonObject outputs)
    {
        JsonObject? firstAny = null;
        foreach (var (nodeId, ui) in outputs)
        {
            if (ui is not JsonObject keys)
            {
                continue;
            }
            foreach (var (mediaType, value) in keys)
            {
                if (value is not JsonArray items)
                {
                    continue;
                }
                foreach (JsonNode? item in items)
                {
                    if (item is not JsonObject obj || !IsPreviewable(mediaType, obj))
                    {
                        continue;
                    }
                    var candidate = (JsonObject)obj.DeepClone();
                    candidate["nodeId"] = nodeId;
                    candidate["mediaType"] = mediaType;
                    if ((string?)(obj["type"] as JsonValue) == "output")
                    {
                        return candidate;
                    }
                    firstAny ??= candidate;
                }
            }
        }
        return firstAny;
    }

    private static bool IsPreviewable(string mediaType, JsonObject item)
    {
        if (mediaType is "images" or "video" or "audio")
        {
            return true;
        }
        string format = item["format"] is JsonValue f && f.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : "";
        if (format.StartsWith("video/", StringComparison.Ordinal) || format.StartsWith("audio/", StringComparison.Ordinal))
        {
            return true;
        }
        string filename = item["filename"] is JsonValue n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "";
        return PreviewExtensions.Any(e => filename.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    private static JsonNode? Member(JsonNode? node, string key) => node is JsonObject o ? o[key] : null;

    private static double Duration(JsonObject job)
    {
        double start = Number(job["execution_start_time"]);
        double end = Number(job["execution_end_time"]);
        return start != 0 && end != 0 ? end - start : 0;
    }

    private static double Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : 0;

    private static void AddIfNotNull(JsonObject target, string key, JsonNode? value)
    {
        if (value is not null && !(value is JsonValue v && v.GetValueKind() == JsonValueKind.Null))
        {
            target[key] = value.DeepClone();
        }
    }

    private static IResult Bad(string message) => ComfyResults.Json(Messages.Error(message), 400);
}
