using System.Text.Json.Nodes;

namespace ComfySharp.Client;

/// <summary>A file on the server as ComfyUI names it: <c>{filename, subfolder, type}</c>.</summary>
/// <param name="Filename">The file name (no directories).</param>
/// <param name="Subfolder">The sub-directory inside the type directory ("" for none).</param>
/// <param name="Type"><c>output</c>, <c>input</c> or <c>temp</c>.</param>
public sealed record ImageRef(string Filename, string Subfolder = "", string Type = "output")
{
    /// <summary>Reads <c>{filename, subfolder, type}</c>.</summary>
    public static ImageRef FromJson(JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new ImageRef(
            item["filename"]?.GetValue<string>() ?? item["name"]?.GetValue<string>() ?? "",
            item["subfolder"]?.GetValue<string>() ?? "",
            item["type"]?.GetValue<string>() ?? "output");
    }
}

/// <summary>The reply of an accepted <c>POST /prompt</c>.</summary>
/// <param name="PromptId">The prompt id.</param>
/// <param name="Number">The queue priority.</param>
/// <param name="NodeErrors">Output nodes that failed validation while others were queued (usually empty).</param>
public sealed record QueuedPromptInfo(string PromptId, double Number, JsonObject NodeErrors);

/// <summary>One queue tuple <c>[number, prompt_id, graph, extra_data, outputs_to_execute]</c>.</summary>
/// <param name="Number">Priority.</param>
/// <param name="PromptId">Prompt id.</param>
/// <param name="Prompt">The (coerced) graph.</param>
/// <param name="ExtraData">Extra data.</param>
/// <param name="OutputsToExecute">Output node ids.</param>
public sealed record QueueItem(double Number, string PromptId, JsonObject Prompt, JsonObject ExtraData, IReadOnlyList<string> OutputsToExecute)
{
    /// <summary>Reads a queue tuple.</summary>
    public static QueueItem FromJson(JsonArray tuple)
    {
        ArgumentNullException.ThrowIfNull(tuple);
        return new QueueItem(
            tuple[0]?.GetValue<double>() ?? 0,
            tuple[1]?.GetValue<string>() ?? "",
            tuple[2] as JsonObject ?? [],
            tuple[3] as JsonObject ?? [],
            (tuple[4] as JsonArray)?.Select(n => n?.GetValue<string>() ?? "").ToList() ?? []);
    }
}

/// <summary>The reply of <c>GET /queue</c>.</summary>
/// <param name="Running">0 or 1 running items.</param>
/// <param name="Pending">Pending items sorted by priority (the server sends heap order).</param>
public sealed record QueueState(IReadOnlyList<QueueItem> Running, IReadOnlyList<QueueItem> Pending);

/// <summary>One <c>/history</c> entry.</summary>
/// <param name="PromptId">Prompt id.</param>
/// <param name="Prompt">The queue tuple of the prompt.</param>
/// <param name="Outputs">Node id → UI dict.</param>
/// <param name="StatusString"><c>success</c> or <c>error</c>.</param>
/// <param name="Completed">True when the run succeeded.</param>
/// <param name="Messages">The status messages as (event, data).</param>
/// <param name="Raw">The entry as received.</param>
public sealed record HistoryEntry(string PromptId, QueueItem? Prompt, JsonObject Outputs, string StatusString, bool Completed,
    IReadOnlyList<(string Event, JsonObject Data)> Messages, JsonObject Raw)
{
    /// <summary>Every <c>{filename, subfolder, type}</c> item in the outputs (images, gifs, audio…).</summary>
    public IReadOnlyList<ImageRef> Files => ComfyOutputs.Files(Outputs);

    /// <summary>The execution_error data when the run failed with an error.</summary>
    public JsonObject? Error => Messages.FirstOrDefault(m => m.Event == "execution_error").Data;

    /// <summary>True when the run was interrupted.</summary>
    public bool Interrupted => Messages.Any(m => m.Event == "execution_interrupted");

    /// <summary>Reads an entry.</summary>
    public static HistoryEntry FromJson(string promptId, JsonObject entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        JsonObject status = entry["status"] as JsonObject ?? [];
        var messages = new List<(string, JsonObject)>();
        if (status["messages"] is JsonArray list)
        {
            foreach (JsonNode? message in list)
            {
                if (message is JsonArray pair && pair.Count == 2)
                {
                    messages.Add((pair[0]?.GetValue<string>() ?? "", pair[1] as JsonObject ?? []));
                }
            }
        }
        return new HistoryEntry(promptId,
            entry["prompt"] is JsonArray tuple && tuple.Count >= 5 ? QueueItem.FromJson(tuple) : null,
            entry["outputs"] as JsonObject ?? [],
            status["status_str"]?.GetValue<string>() ?? "",
            status["completed"]?.GetValue<bool>() ?? false,
            messages, entry);
    }
}

/// <summary>Filters of <c>GET /api/jobs</c>.</summary>
public sealed record JobsQuery
{
    /// <summary>Statuses (pending, in_progress, completed, failed); all when empty.</summary>
    public IReadOnlyList<string>? Status { get; init; }

    /// <summary>Only jobs of this workflow id.</summary>
    public string? WorkflowId { get; init; }

    /// <summary><c>created_at</c> or <c>execution_duration</c>.</summary>
    public string? SortBy { get; init; }

    /// <summary><c>asc</c> or <c>desc</c>.</summary>
    public string? SortOrder { get; init; }

    /// <summary>Page size.</summary>
    public int? Limit { get; init; }

    /// <summary>First index.</summary>
    public int? Offset { get; init; }
}

/// <summary>One job of <c>/api/jobs</c>.</summary>
/// <param name="Id">Prompt id.</param>
/// <param name="Status">pending, in_progress, completed or failed.</param>
/// <param name="Priority">Queue number.</param>
/// <param name="CreateTime">Milliseconds since the epoch, when known.</param>
/// <param name="OutputsCount">Output items.</param>
/// <param name="WorkflowId">The UI workflow id, when known.</param>
/// <param name="Raw">The object as received (includes outputs/execution_status for single-job replies).</param>
public sealed record ComfyJob(string Id, string Status, double Priority, long? CreateTime, int OutputsCount, string? WorkflowId, JsonObject Raw)
{
    /// <summary>Reads a job object.</summary>
    public static ComfyJob FromJson(JsonObject job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new ComfyJob(job["id"]?.GetValue<string>() ?? "", job["status"]?.GetValue<string>() ?? "",
            job["priority"]?.GetValue<double>() ?? 0, job["create_time"]?.GetValue<long>(),
            job["outputs_count"]?.GetValue<int>() ?? 0, job["workflow_id"]?.GetValue<string>(), job);
    }
}

/// <summary>A page of jobs.</summary>
/// <param name="Jobs">The jobs.</param>
/// <param name="Total">Total matching.</param>
/// <param name="HasMore">More after this page.</param>
public sealed record JobsPage(IReadOnlyList<ComfyJob> Jobs, int Total, bool HasMore);

/// <summary>Helpers over node UI outputs.</summary>
public static class ComfyOutputs
{
    /// <summary>Every item that names a file (<c>filename</c> + <c>type</c>) in node id → UI dict outputs.</summary>
    public static IReadOnlyList<ImageRef> Files(JsonObject outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var files = new List<ImageRef>();
        foreach ((string _, JsonNode? ui) in outputs)
        {
            if (ui is not JsonObject dict)
            {
                continue;
            }
            foreach ((string _, JsonNode? value) in dict)
            {
                if (value is JsonArray items)
                {
                    files.AddRange(items.OfType<JsonObject>().Where(i => i["filename"] is JsonValue && i["type"] is JsonValue).Select(ImageRef.FromJson));
                }
            }
        }
        return files;
    }
}
